using System.Text.Json;
using StreamJsonRpc;

namespace SidecarKit.Interop.StreamJsonRpc.Tests;

/// <summary>StreamJsonRpc set up the way a .NET user of it would talk to a SidecarKit peer: System.Text.Json, camelCase.</summary>
internal static class StreamJsonRpcPeer
{
    public static SystemTextJsonFormatter Formatter() => new()
    {
        JsonSerializerOptions = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase },
    };

    /// <summary>JSON-RPC with <c>Content-Length</c> headers: StreamJsonRpc's default framing.</summary>
    public static JsonRpc HeaderDelimited(Stream writeTo, Stream readFrom)
        => new(new HeaderDelimitedMessageHandler(writeTo, readFrom, Formatter()));

    /// <summary>JSON-RPC one message per line.</summary>
    public static JsonRpc NewLineDelimited(Stream writeTo, Stream readFrom)
        => new(new NewLineDelimitedMessageHandler(writeTo, readFrom, Formatter()));
}
