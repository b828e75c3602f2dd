namespace SidecarKit.Wire;

/// <summary>
/// Writes and reads values of <typeparamref name="T"/> in any wire format. Generated once per type by the source
/// generator; the runtime has codecs for the primitive types in <see cref="WireCodecs"/>.
/// </summary>
public interface IWireCodec<T>
{
    /// <summary>Writes <paramref name="value"/>.</summary>
    static abstract void Write<TWriter>(ref TWriter writer, T value) where TWriter : IWireWriter, allows ref struct;

    /// <summary>Reads a value; the reader is positioned on it.</summary>
    static abstract T Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct;
}

/// <summary>
/// The parameters of one method call, as a generated struct: written as an object (by name) and read from an object
/// by name or from an array by position.
/// </summary>
public interface IWireArgs<TSelf> where TSelf : struct, IWireArgs<TSelf>
{
    /// <summary>Writes the parameters.</summary>
    void Write<TWriter>(ref TWriter writer) where TWriter : IWireWriter, allows ref struct;

    /// <summary>Reads the parameters; the reader is positioned on the params value.</summary>
    static abstract TSelf Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct;
}

/// <summary>The parameters of a method that has none.</summary>
public readonly struct NoArgs : IWireArgs<NoArgs>
{
    private static readonly WireMembers s_members = new("params");

    /// <inheritdoc />
    public void Write<TWriter>(ref TWriter writer) where TWriter : IWireWriter, allows ref struct
    {
        writer.WriteStartObject(s_members);
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public static NoArgs Read<TReader>(ref TReader reader) where TReader : IWireReader, allows ref struct
    {
        if (reader.TokenKind is WireTokenKind.None || reader.TryReadNull())
            return default;
        reader.ReadStartObject();
        int index = -1;
        // Parameters a newer caller sends are skipped, as unknown members are everywhere (docs/compatibility.md).
        while (reader.ReadNextMember(s_members, ref index))
            reader.Skip();
        return default;
    }
}
