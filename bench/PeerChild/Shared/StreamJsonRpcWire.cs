using StreamJsonRpc;

namespace SidecarKit.Benchmarks.Peers;

/// <summary>The two StreamJsonRpc formats the benchmarks compare with; the names are PeerChild's command-line words.</summary>
public enum PeerFormat
{
    /// <summary><see cref="SystemTextJsonFormatter"/> over <see cref="NewLineDelimitedMessageHandler"/>: one JSON-RPC message per line, SidecarKit's JSON-lines framing.</summary>
    Json,

    /// <summary><see cref="MessagePackFormatter"/> over <see cref="LengthHeaderMessageHandler"/> (a 4-byte big-endian length before each message), the pairing StreamJsonRpc documents for its binary formatters.</summary>
    MessagePack,
}

/// <summary>How both ends build the StreamJsonRpc message handler for a format, written once so they cannot disagree.</summary>
public static class StreamJsonRpcWire
{
    /// <summary>Parses PeerChild's format word (<c>json</c> or <c>msgpack</c>).</summary>
    public static PeerFormat ParseFormat(string word) => word switch
    {
        "json" => PeerFormat.Json,
        "msgpack" => PeerFormat.MessagePack,
        _ => throw new ArgumentException($"Unknown StreamJsonRpc format '{word}' (expected json or msgpack).", nameof(word)),
    };

    /// <summary>The command-line word of <paramref name="format"/>.</summary>
    public static string Word(PeerFormat format) => format == PeerFormat.Json ? "json" : "msgpack";

    /// <summary>
    /// A message handler writing to <paramref name="output"/> and reading from <paramref name="input"/> (the same stream
    /// for a socket). Each formatter with its library defaults: no custom resolvers, no tuning the peer would not have.
    /// </summary>
    // The types are qualified: SidecarKit's own MessagePack and JSON types share their simple names' words.
    public static IJsonRpcMessageHandler CreateHandler(PeerFormat format, Stream output, Stream input) => format switch
    {
        PeerFormat.Json => new StreamJsonRpc.NewLineDelimitedMessageHandler(output, input, new StreamJsonRpc.SystemTextJsonFormatter()),
        PeerFormat.MessagePack => new StreamJsonRpc.LengthHeaderMessageHandler(output, input, new StreamJsonRpc.MessagePackFormatter()),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}
