using System.Text.Json;
using Grpc.Core;
using SidecarKit.Schema;
using SidecarKit.Transports.Grpc.Marshalling;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Callbacks;

/// <summary>
/// The messages of <c>sidecarkit.callbacks.Callbacks</c>, the service that carries a sidecar's calls to its parent over
/// gRPC (docs/grpc.md, "Callbacks"): the parent subscribes, the sidecar sends each call on the subscription, the
/// parent answers each with <c>Reply</c>.
/// </summary>
internal static class CallbackMessages
{
    public const string SubscribePath = "/sidecarkit.callbacks.Callbacks/Subscribe";
    public const string ReplyPath = "/sidecarkit.callbacks.Callbacks/Reply";

    /// <summary>The service's proto3 file (<c>sidecarkit/callbacks.proto</c>); printed by <c>--describe proto</c> after the contracts.</summary>
    public const string Proto = """
        // SidecarKit: calls from a sidecar to its parent over gRPC. docs/grpc.md, "Callbacks".
        syntax = "proto3";

        package sidecarkit.callbacks;

        import "google/protobuf/empty.proto";

        service Callbacks {
          // The parent opens one subscription (a second one is refused with ALREADY_EXISTS while the first is open); the
          // sidecar sends every call it makes to the parent on it.
          rpc Subscribe(google.protobuf.Empty) returns (stream CallbackCall);
          // The parent's answer to one call; notifications (id 0) get none.
          rpc Reply(CallbackReply) returns (google.protobuf.Empty);
        }

        message CallbackCall {
          uint64 id = 1;      // 0 for a notification
          string method = 2;  // the contract method's wire name, e.g. demoEvents.confirm
          string path = 3;    // the same method as an rpc of its contract's exported .proto: /sidecarkit.demo_events.DemoEvents/Confirm
          bytes request = 4;  // that rpc's request message
          string traceparent = 5;  // the W3C trace context of the sidecar's call, if any (docs/observability.md)
          string tracestate = 6;
        }

        message CallbackReply {
          uint64 id = 1;
          bytes response = 2;          // that rpc's response message (empty for google.protobuf.Empty)
          int32 error_code = 3;        // not 0: the call failed with this code (the codes of docs/protocol.md)
          string error_message = 4;
          string error_data_json = 5;  // the error's data as JSON, if any
        }

        """;

    private static readonly WireMembers s_call = new("CallbackCall",
    [
        new WireField("id", WireType.Of(WireScalar.UInt64), 1), new WireField("method", WireType.Of(WireScalar.String), 2),
        new WireField("path", WireType.Of(WireScalar.String), 3), new WireField("request", WireType.Of(WireScalar.Bytes), 4),
        new WireField("traceparent", WireType.Of(WireScalar.String), 5), new WireField("tracestate", WireType.Of(WireScalar.String), 6),
    ]);
    private static readonly WireMembers s_reply = new("CallbackReply",
    [
        new WireField("id", WireType.Of(WireScalar.UInt64), 1), new WireField("response", WireType.Of(WireScalar.Bytes), 2),
        new WireField("errorCode", WireType.Of(WireScalar.Int32), 3), new WireField("errorMessage", WireType.Of(WireScalar.String), 4),
        new WireField("errorDataJson", WireType.Of(WireScalar.String), 5),
    ]);

    public const string ServiceName = "sidecarkit.callbacks.Callbacks";

    /// <summary><c>google.protobuf.Empty</c>: no bytes.</summary>
    public sealed class Empty
    {
        public static readonly Empty Instance = new();
    }

    public static readonly Marshaller<Empty> EmptyMarshaller = GrpcMarshallers.Create<Empty>(static (_, _) => { }, static _ => Empty.Instance);

    public static readonly Marshaller<Call> CallMarshaller = GrpcMarshallers.Create<Call>(static (encoder, call) => Write(encoder, call), ReadCall);

    public static readonly Marshaller<Reply> ReplyMarshaller = GrpcMarshallers.Create<Reply>(static (encoder, reply) => Write(encoder, reply), ReadReply);

    /// <summary><c>rpc Subscribe(google.protobuf.Empty) returns (stream CallbackCall)</c>.</summary>
    public static readonly Method<Empty, Call> SubscribeMethod = new(MethodType.ServerStreaming, ServiceName, "Subscribe", EmptyMarshaller, CallMarshaller);

    /// <summary><c>rpc Reply(CallbackReply) returns (google.protobuf.Empty)</c>.</summary>
    public static readonly Method<Reply, Empty> ReplyMethod = new(MethodType.Unary, ServiceName, "Reply", ReplyMarshaller, EmptyMarshaller);

    public sealed record Call(ulong Id, string Method, string Path, byte[] Request, SidecarKit.Diagnostics.RpcTraceContext Trace = default);

    public sealed record Reply(ulong Id, byte[] Response, int ErrorCode, string ErrorMessage, string ErrorDataJson)
    {
        public SidecarKit.Rpc.RpcErrorData? ErrorData => ErrorDataJson.Length == 0 ? null : SidecarKit.Rpc.RpcErrorData.FromUtf8Json(System.Text.Encoding.UTF8.GetBytes(ErrorDataJson));
    }

    public static void Write(ProtobufEncoder encoder, Call call)
    {
        var w = new ProtobufWriter(encoder);
        w.WriteStartObject(s_call);
        w.WriteMember(s_call, 0); w.WriteUInt64(call.Id);
        w.WriteMember(s_call, 1); w.WriteString(call.Method);
        w.WriteMember(s_call, 2); w.WriteString(call.Path);
        w.WriteMember(s_call, 3); w.WriteBytes(call.Request);
        if (call.Trace.TraceParent is { } traceParent)
        {
            w.WriteMember(s_call, 4); w.WriteString(traceParent);
            if (call.Trace.TraceState is { Length: > 0 } traceState) { w.WriteMember(s_call, 5); w.WriteString(traceState); }
        }
        w.WriteEndObject();
    }

    public static Call ReadCall(ReadOnlySpan<byte> message)
    {
        var r = new ProtobufReader(message);
        r.ReadStartObject();
        ulong id = 0;
        string method = "", path = "";
        string? traceParent = null, traceState = null;
        byte[] request = [];
        int index = -1;
        while (r.ReadNextMember(s_call, ref index))
        {
            switch (index)
            {
                case 0: id = r.ReadUInt64(); break;
                case 1: method = r.ReadString(); break;
                case 2: path = r.ReadString(); break;
                case 3: request = r.ReadBytes(); break;
                case 4: traceParent = r.ReadString(); break;
                case 5: traceState = r.ReadString(); break;
                default: r.Skip(); break;
            }
        }
        return new Call(id, method, path, request, new(traceParent is { Length: > 0 } ? traceParent : null, traceState));
    }

    public static void Write(ProtobufEncoder encoder, Reply reply)
    {
        var w = new ProtobufWriter(encoder);
        w.WriteStartObject(s_reply);
        w.WriteMember(s_reply, 0); w.WriteUInt64(reply.Id);
        w.WriteMember(s_reply, 1); w.WriteBytes(reply.Response);
        w.WriteMember(s_reply, 2); w.WriteInt64(reply.ErrorCode);
        w.WriteMember(s_reply, 3); w.WriteString(reply.ErrorMessage);
        w.WriteMember(s_reply, 4); w.WriteString(reply.ErrorDataJson);
        w.WriteEndObject();
    }

    public static Reply ReadReply(ReadOnlySpan<byte> message)
    {
        var r = new ProtobufReader(message);
        r.ReadStartObject();
        ulong id = 0;
        byte[] response = [];
        int code = 0;
        string text = "", data = "";
        int index = -1;
        while (r.ReadNextMember(s_reply, ref index))
        {
            switch (index)
            {
                case 0: id = r.ReadUInt64(); break;
                case 1: response = r.ReadBytes(); break;
                case 2: code = checked((int)r.ReadInt64()); break;
                case 3: text = r.ReadString(); break;
                case 4: data = r.ReadString(); break;
                default: r.Skip(); break;
            }
        }
        return new Reply(id, response, code, text, data);
    }
}
