using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>Spans, trace context (the trailing <c>_meta</c> map) and metrics of MessagePack-RPC calls.</summary>
[Collection(TelemetryCapture.Collection)]
public class CallTelemetryTests() : CallTelemetryChecks(() => new MessagePackRpcProtocol(), "msgpack-rpc");
