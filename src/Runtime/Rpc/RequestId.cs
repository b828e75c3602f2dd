using System.Globalization;

namespace SidecarKit.Rpc;

/// <summary>The kind of a request id.</summary>
public enum RequestIdKind
{
    /// <summary>No id: the message is a notification.</summary>
    None,
    /// <summary>An explicit null id.</summary>
    Null,
    /// <summary>An integer id.</summary>
    Number,
    /// <summary>A string id.</summary>
    String,
    /// <summary>A number that is not a 64-bit integer, kept as its exact JSON text so it can be echoed back.</summary>
    RawNumber,
}

/// <summary>A JSON-RPC request id: absent, null, an integer, a string, or any other JSON number (echoed verbatim).</summary>
public readonly struct RequestId : IEquatable<RequestId>
{
    private RequestId(RequestIdKind kind, long number, string? text)
    {
        Kind = kind;
        Number = number;
        Text = text;
    }

    /// <summary>No id.</summary>
    public static RequestId None => default;

    /// <summary>The null id.</summary>
    public static RequestId Null => new(RequestIdKind.Null, 0, null);

    /// <summary>An integer id.</summary>
    public static RequestId FromNumber(long number) => new(RequestIdKind.Number, number, null);

    /// <summary>A string id.</summary>
    public static RequestId FromString(string text) => new(RequestIdKind.String, 0, text);

    /// <summary>A non-integer number id, as its JSON text.</summary>
    public static RequestId FromRawNumber(string jsonText) => new(RequestIdKind.RawNumber, 0, jsonText);

    /// <summary>The kind.</summary>
    public RequestIdKind Kind { get; }

    /// <summary>The integer value, for <see cref="RequestIdKind.Number"/>.</summary>
    public long Number { get; }

    /// <summary>The string value, or the JSON text of a raw number.</summary>
    public string? Text { get; }

    /// <summary>Whether an id is present (null counts as present).</summary>
    public bool IsPresent => Kind != RequestIdKind.None;

    /// <inheritdoc />
    public bool Equals(RequestId other) => Kind == other.Kind && Number == other.Number && string.Equals(Text, other.Text, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is RequestId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Number, Text);

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        RequestIdKind.None => "(none)",
        RequestIdKind.Null => "null",
        RequestIdKind.Number => Number.ToString(CultureInfo.InvariantCulture),
        RequestIdKind.String => "\"" + Text + "\"",
        _ => Text!,
    };
}
