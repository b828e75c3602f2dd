using SidecarKit;

namespace SidecarKit.Tests.Support;

/// <summary>Every supported type, each echoed back: round-trips prove the generated codecs.</summary>
[SidecarContract("types")]
public partial interface ITypes
{
    Task<AllPrimitives> PrimitivesAsync(AllPrimitives value, CancellationToken ct = default);
    Task<Collections> CollectionsAsync(Collections value, CancellationToken ct = default);
    Task<Shapes> ShapesAsync(Shapes value, CancellationToken ct = default);
    Task<int?> NullableIntAsync(int? value);
    Task<string?> NullableStringAsync(string? value);
    Task<string> RequiredStringAsync(string value);
    Task<Color> ColorAsync(Color value);
    Task<Node> TreeAsync(Node root);
    Task<string> DefaultsAsync(int a, int b = 10, string? c = null, Color color = Color.Blue);
    ValueTask<int> ValueTaskAsync(int x);
    ValueTask NothingAsync();
    Task<byte[]> BytesAsync(byte[] value);
    Task<double> DoubleAsync(double value);
    Task<long> Int64Async(long value);
    Task<ulong> UInt64Async(ulong value);
    Task<IEnumerable<int>?> MaybeListAsync(IEnumerable<int>? value);
}

public enum Color { Red, GreenBlue = 5, Blue }

[Flags]
public enum Access : ushort { None = 0, Read = 1, Write = 2 }

public sealed record AllPrimitives(
    bool Bool, byte Byte, sbyte SByte, short Int16, ushort UInt16, int Int32, uint UInt32, long Int64, ulong UInt64,
    float Single, double Double, decimal Decimal, char Char, string String, byte[] Bytes, Guid Guid,
    DateTime DateTime, DateTimeOffset DateTimeOffset, TimeSpan TimeSpan);

public sealed record Address(string Street, string City);

public sealed record Collections(
    int[] Array,
    List<string> List,
    IList<int> IList,
    IReadOnlyList<Address> ReadOnlyList,
    IEnumerable<long> Enumerable,
    ICollection<string> Collection,
    IReadOnlyCollection<double> ReadOnlyCollection,
    Dictionary<string, int> Dictionary,
    IReadOnlyDictionary<string, Address?> ReadOnlyDictionary,
    IDictionary<string, List<int>> DictionaryOfLists,
    List<List<int>> Nested,
    int?[] NullableItems,
    List<string?> NullableStrings);

/// <summary>A mutable class with settable properties and a parameterless constructor.</summary>
public sealed class MutableClass
{
    public string Name { get; set; } = "";
    public int Count { get; set; }
    public List<int> Items { get; set; } = [];
    public Color? Favourite { get; set; }
    public string Computed => Name + Count; // get-only: not part of the wire shape
}

public struct Point
{
    public int X { get; set; }
    public int Y { get; set; }
}

public readonly struct ReadOnlyPoint(int x, int y)
{
    public int X { get; } = x;
    public int Y { get; } = y;
}

public sealed class InitOnly
{
    public required string Id { get; init; }
    public string? Note { get; init; }
}

public sealed record Node(string Name, List<Node> Children);

public sealed record Shapes(MutableClass Mutable, Point Point, ReadOnlyPoint ReadOnlyPoint, InitOnly InitOnly, Point? MaybePoint, Access Access, Address? Missing);

public sealed class EchoTypes : ITypes
{
    public Task<AllPrimitives> PrimitivesAsync(AllPrimitives value, CancellationToken ct) => Task.FromResult(value);
    public Task<Collections> CollectionsAsync(Collections value, CancellationToken ct) => Task.FromResult(value);
    public Task<Shapes> ShapesAsync(Shapes value, CancellationToken ct) => Task.FromResult(value);
    public Task<int?> NullableIntAsync(int? value) => Task.FromResult(value);
    public Task<string?> NullableStringAsync(string? value) => Task.FromResult(value);
    public Task<string> RequiredStringAsync(string value) => Task.FromResult(value);
    public Task<Color> ColorAsync(Color value) => Task.FromResult(value);
    public Task<Node> TreeAsync(Node root) => Task.FromResult(root);
    public Task<string> DefaultsAsync(int a, int b, string? c, Color color) => Task.FromResult($"{a}|{b}|{c ?? "null"}|{color}");
    public ValueTask<int> ValueTaskAsync(int x) => ValueTask.FromResult(x * 2);
    public ValueTask NothingAsync() => ValueTask.CompletedTask;
    public Task<byte[]> BytesAsync(byte[] value) => Task.FromResult(value);
    public Task<double> DoubleAsync(double value) => Task.FromResult(value);
    public Task<long> Int64Async(long value) => Task.FromResult(value);
    public Task<ulong> UInt64Async(ulong value) => Task.FromResult(value);
    public Task<IEnumerable<int>?> MaybeListAsync(IEnumerable<int>? value) => Task.FromResult(value);
}
