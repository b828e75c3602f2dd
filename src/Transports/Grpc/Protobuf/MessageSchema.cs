using System.Collections.Concurrent;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Protobuf;

/// <summary>The protobuf layout of one object shape: a <see cref="ProtoField"/> per member of its <see cref="WireMembers"/> table.</summary>
internal sealed class MessageSchema
{
    private static readonly ConcurrentDictionary<WireMembers, MessageSchema> s_cache = new(ReferenceEqualityComparer.Instance);

    private readonly int[] _indexByNumber;   // small field numbers → member index + 1 (0: none)

    private MessageSchema(WireMembers members)
    {
        Fields = new ProtoField[members.Count];
        if (members.Count > 0 && members.Fields is null)
            throw new WireFormatException($"'{members.TypeName}' has no Protocol Buffers layout: its member table lacks wire types and field numbers (rebuild it with the current SidecarKit generator).");
        int max = 0;
        for (int i = 0; i < Fields.Length; i++)
        {
            Fields[i] = ProtoField.For(members.Fields![i].Type, members.Fields[i].Number);
            max = Math.Max(max, Fields[i].Number);
        }
        _indexByNumber = new int[Math.Min(max, 255) + 1];
        for (int i = 0; i < Fields.Length; i++)
            if (Fields[i].Number < _indexByNumber.Length) _indexByNumber[Fields[i].Number] = i + 1;
    }

    public ProtoField[] Fields { get; }

    public int Count => Fields.Length;

    public static MessageSchema For(WireMembers members)
        => s_cache.TryGetValue(members, out MessageSchema? schema) ? schema : s_cache.GetOrAdd(members, static m => new MessageSchema(m));

    /// <summary>The index of the member with field number <paramref name="number"/>, or -1.</summary>
    public int IndexOf(int number)
    {
        if ((uint)number < (uint)_indexByNumber.Length) return _indexByNumber[number] - 1;
        for (int i = 0; i < Fields.Length; i++)
            if (Fields[i].Number == number) return i;
        return -1;
    }
}
