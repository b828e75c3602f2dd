using System.Collections.Immutable;
using SidecarKit;
using Xunit;

namespace SidecarKit.Tests.Support;

/// <summary>
/// The types added after <see cref="ITypes"/> (issue 16): DateOnly, TimeOnly, Int128/UInt128, Half, sets, immutable
/// collections, ReadOnlyMemory&lt;byte&gt;, Uri, Version, and DTO shapes (records with extra members, required and init
/// members), each echoed back. A contract of its own so that <see cref="ITypes"/>' goldens stay as they are.
/// </summary>
[SidecarContract("moreTypes")]
public partial interface IMoreTypes
{
    Task<NewScalars> ScalarsAsync(NewScalars value, CancellationToken ct = default);
    Task<NewCollections> CollectionsAsync(NewCollections value, CancellationToken ct = default);
    Task<Reading> ReadingAsync(Reading value, CancellationToken ct = default);
    Task<InitMembers> InitAsync(InitMembers value, CancellationToken ct = default);
    Task<DateOnly> DateAsync(DateOnly value, CancellationToken ct = default);
    Task<TimeOnly?> MaybeTimeAsync(TimeOnly? value, CancellationToken ct = default);
    Task<Int128> Int128Async(Int128 value, CancellationToken ct = default);
    Task<Half> HalfAsync(Half value, CancellationToken ct = default);
    Task<HashSet<string>> SetAsync(HashSet<string> value, CancellationToken ct = default);
    Task<ImmutableArray<int>> ImmutableArrayAsync(ImmutableArray<int> value, CancellationToken ct = default);
    Task<ReadOnlyMemory<byte>> MemoryAsync(ReadOnlyMemory<byte> value, CancellationToken ct = default);
    Task<Uri?> UriAsync(Uri? value, CancellationToken ct = default);
    Task<KeyedMaps> KeyedMapsAsync(KeyedMaps value, CancellationToken ct = default);
    Task<Dictionary<Color, int>> EnumKeysAsync(Dictionary<Color, int> value, CancellationToken ct = default);
    Task<Dictionary<long, Guid>> IntKeysAsync(Dictionary<long, Guid> value, CancellationToken ct = default);
    Task<Dictionary<Guid, ulong>> GuidKeysAsync(Dictionary<Guid, ulong> value, CancellationToken ct = default);
}

/// <summary>Dictionaries whose keys are not strings: integers (native in MessagePack and protobuf), GUIDs and enums (strings).</summary>
public sealed record KeyedMaps(
    Dictionary<int, string> ByInt,
    IReadOnlyDictionary<long, int> ByLong,
    IDictionary<uint, string> ByUInt,
    Dictionary<ulong, int> ByULong,
    Dictionary<short, int> ByShort,
    Dictionary<byte, int> ByByte,
    Dictionary<Guid, Address> ByGuid,
    Dictionary<Color, int> ByColor,
    Dictionary<Access, string?> ByAccess,
    ImmutableDictionary<int, List<int>> ImmutableByInt,
    List<Dictionary<int, string>> ListOfIntMaps,
    Dictionary<sbyte, Dictionary<Guid, Color>> Nested);

public sealed record NewScalars(
    DateOnly Date, TimeOnly Time, Int128 Int128, UInt128 UInt128, Half Half, ReadOnlyMemory<byte> Memory, Memory<byte> WritableMemory,
    Uri Uri, Version Version, DateOnly? MaybeDate, TimeOnly? MaybeTime, Int128? MaybeInt128, Half? MaybeHalf, Uri? MaybeUri, Version? MaybeVersion);

public sealed record NewCollections(
    HashSet<int> Set,
    ISet<string> ISet,
    IReadOnlySet<Guid> ReadOnlySet,
    ImmutableArray<int> ImmutableArray,
    ImmutableList<Address> ImmutableList,
    ImmutableDictionary<string, int> ImmutableDictionary,
    ImmutableArray<string>? MaybeImmutableArray,
    HashSet<DateOnly> Dates,
    List<ImmutableArray<Half>> Nested,
    ImmutableDictionary<string, HashSet<string>> MapOfSets,
    HashSet<string?> NullableItems);

/// <summary>A positional record with members of its own besides: init, required, settable and computed ones.</summary>
public sealed record Reading(string Sensor, double Value, DateOnly Day = default)
{
    public string? Unit { get; init; }
    public required TimeOnly At { get; init; }
    public int Samples { get; set; }
    public List<string> Tags { get; init; } = [];
    public string Label => Sensor + "@" + Day.ToString("O", System.Globalization.CultureInfo.InvariantCulture);   // computed: not on the wire
}

/// <summary>A class set only through <c>required</c> and <c>init</c> members (no constructor parameters).</summary>
public sealed class InitMembers
{
    public required int Id { get; init; }
    public required string Name { get; init; }
    public Int128 Big { get; init; }
    public DateOnly? Since { get; init; }
    public ImmutableList<string> Aliases { get; init; } = [];
}

public sealed class EchoMoreTypes : IMoreTypes
{
    public Task<NewScalars> ScalarsAsync(NewScalars value, CancellationToken ct) => Task.FromResult(value);
    public Task<NewCollections> CollectionsAsync(NewCollections value, CancellationToken ct) => Task.FromResult(value);
    public Task<Reading> ReadingAsync(Reading value, CancellationToken ct) => Task.FromResult(value);
    public Task<InitMembers> InitAsync(InitMembers value, CancellationToken ct) => Task.FromResult(value);
    public Task<DateOnly> DateAsync(DateOnly value, CancellationToken ct) => Task.FromResult(value);
    public Task<TimeOnly?> MaybeTimeAsync(TimeOnly? value, CancellationToken ct) => Task.FromResult(value);
    public Task<Int128> Int128Async(Int128 value, CancellationToken ct) => Task.FromResult(value);
    public Task<Half> HalfAsync(Half value, CancellationToken ct) => Task.FromResult(value);
    public Task<HashSet<string>> SetAsync(HashSet<string> value, CancellationToken ct) => Task.FromResult(value);
    public Task<ImmutableArray<int>> ImmutableArrayAsync(ImmutableArray<int> value, CancellationToken ct) => Task.FromResult(value);
    public Task<ReadOnlyMemory<byte>> MemoryAsync(ReadOnlyMemory<byte> value, CancellationToken ct) => Task.FromResult(value);
    public Task<Uri?> UriAsync(Uri? value, CancellationToken ct) => Task.FromResult(value);
    public Task<KeyedMaps> KeyedMapsAsync(KeyedMaps value, CancellationToken ct) => Task.FromResult(value);
    public Task<Dictionary<Color, int>> EnumKeysAsync(Dictionary<Color, int> value, CancellationToken ct) => Task.FromResult(value);
    public Task<Dictionary<long, Guid>> IntKeysAsync(Dictionary<long, Guid> value, CancellationToken ct) => Task.FromResult(value);
    public Task<Dictionary<Guid, ulong>> GuidKeysAsync(Dictionary<Guid, ulong> value, CancellationToken ct) => Task.FromResult(value);
}

/// <summary>Sample values of <see cref="IMoreTypes"/> and the checks every transport's round trip makes of them.</summary>
public static class MoreTypesSamples
{
    public static NewScalars Scalars(bool extremes) => extremes
        ? new NewScalars(DateOnly.MaxValue, TimeOnly.MaxValue, Int128.MinValue, UInt128.MaxValue, Half.MaxValue, new byte[] { 0, 1, 254, 255 },
            new byte[] { 9, 8 }, new Uri("https://example.com/a%20b?q=ü#frag"), new Version(1, 2, 3, 4),
            DateOnly.MinValue, new TimeOnly(13, 45, 30, 500), Int128.MaxValue, Half.Epsilon, new Uri("../relative/path", UriKind.Relative), new Version(0, 1))
        : new NewScalars(DateOnly.MinValue, TimeOnly.MinValue, Int128.Zero, UInt128.Zero, Half.Zero, ReadOnlyMemory<byte>.Empty,
            Memory<byte>.Empty, new Uri("urn:x"), new Version(0, 0), null, null, null, null, null, null);

    public static void AssertSame(NewScalars expected, NewScalars actual)
    {
        Assert.Equal(expected.Date, actual.Date);
        Assert.Equal(expected.Time, actual.Time);
        Assert.Equal(expected.Int128, actual.Int128);
        Assert.Equal(expected.UInt128, actual.UInt128);
        Assert.Equal(BitConverter.HalfToInt16Bits(expected.Half), BitConverter.HalfToInt16Bits(actual.Half));
        Assert.Equal(expected.Memory.ToArray(), actual.Memory.ToArray());
        Assert.Equal(expected.WritableMemory.ToArray(), actual.WritableMemory.ToArray());
        Assert.Equal(expected.Uri.OriginalString, actual.Uri.OriginalString);
        Assert.Equal(expected.Uri.IsAbsoluteUri, actual.Uri.IsAbsoluteUri);
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.MaybeDate, actual.MaybeDate);
        Assert.Equal(expected.MaybeTime, actual.MaybeTime);
        Assert.Equal(expected.MaybeInt128, actual.MaybeInt128);
        Assert.Equal(expected.MaybeHalf, actual.MaybeHalf);
        Assert.Equal(expected.MaybeUri?.OriginalString, actual.MaybeUri?.OriginalString);
        Assert.Equal(expected.MaybeUri?.IsAbsoluteUri, actual.MaybeUri?.IsAbsoluteUri);
        Assert.Equal(expected.MaybeVersion, actual.MaybeVersion);
    }

    public static NewCollections Collections() => new(
        [1, 2, 3],
        new HashSet<string> { "a", "" },
        new HashSet<Guid> { Guid.Empty, new("0f8fad5b-d9cb-469f-a165-70867728950e") },
        [5, -1, 5],
        [new Address("s", "c"), new Address("t", "d")],
        ImmutableDictionary<string, int>.Empty.Add("k", 1).Add("", 0),
        ["x"],
        [new DateOnly(2024, 2, 29)],
        [[(Half)0.1, Half.NegativeInfinity], []],
        ImmutableDictionary<string, HashSet<string>>.Empty.Add("m", ["p", "q"]),
        ["v", null]);

    public static void AssertSame(NewCollections expected, NewCollections actual)
    {
        Assert.IsType<HashSet<int>>(actual.Set);
        Assert.True(expected.Set.SetEquals(actual.Set));
        Assert.IsType<HashSet<string>>(actual.ISet);
        Assert.True(expected.ISet.SetEquals(actual.ISet));
        Assert.True(actual.ReadOnlySet.SetEquals(expected.ReadOnlySet));
        Assert.Equal(expected.ImmutableArray.ToArray(), actual.ImmutableArray.ToArray());   // order and repeats kept (ImmutableArray's own Equals compares references)
        Assert.Equal(expected.ImmutableList, actual.ImmutableList);
        Assert.Equal(expected.ImmutableDictionary.OrderBy(p => p.Key, StringComparer.Ordinal), actual.ImmutableDictionary.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Same(StringComparer.Ordinal, actual.ImmutableDictionary.KeyComparer);
        Assert.Equal(expected.MaybeImmutableArray?.ToArray(), actual.MaybeImmutableArray?.ToArray());
        Assert.Equal(expected.Dates, actual.Dates);
        Assert.Equal(expected.Nested.Count, actual.Nested.Count);
        for (int i = 0; i < expected.Nested.Count; i++) Assert.Equal(expected.Nested[i].ToArray(), actual.Nested[i].ToArray());
        Assert.Equal(expected.MapOfSets.Keys, actual.MapOfSets.Keys);
        foreach (var (key, set) in expected.MapOfSets) Assert.True(set.SetEquals(actual.MapOfSets[key]));
        Assert.True(expected.NullableItems.SetEquals(actual.NullableItems));
    }

    public static Reading Reading() => new("probe", 21.5, new DateOnly(2026, 12, 7)) { Unit = "°C", At = new TimeOnly(4, 8), Samples = 3, Tags = ["a", "b"] };

    public static void AssertSame(Reading expected, Reading actual)
    {
        Assert.Equal(expected with { Tags = actual.Tags }, actual);   // record equality for everything but the list (by reference)
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Equal(expected.Label, actual.Label);
    }

    public static InitMembers Init() => new() { Id = 7, Name = "n", Big = Int128.MaxValue - 1, Since = new DateOnly(2000, 1, 1), Aliases = ["x", "y"] };

    public static void AssertSame(InitMembers expected, InitMembers actual)
    {
        Assert.Equal((expected.Id, expected.Name, expected.Big, expected.Since), (actual.Id, actual.Name, actual.Big, actual.Since));
        Assert.Equal(expected.Aliases, actual.Aliases);
    }

    public static readonly Guid SomeGuid = new("0f8fad5b-d9cb-469f-a165-70867728950e");

    public static KeyedMaps Keyed() => new(
        new() { [0] = "zero", [-1] = "minus one", [int.MaxValue] = "max", [int.MinValue] = "min" },
        new Dictionary<long, int> { [long.MinValue] = 1, [long.MaxValue] = 2 },
        new Dictionary<uint, string> { [uint.MaxValue] = "u", [0] = "" },
        new() { [ulong.MaxValue] = 3, [1] = 4 },
        new() { [short.MinValue] = 5 },
        new() { [255] = 6, [0] = 7 },
        new() { [SomeGuid] = new Address("s", "c"), [Guid.Empty] = new Address("", "") },
        new() { [Color.Red] = 1, [Color.GreenBlue] = 2, [(Color)42] = 3 },
        new() { [Access.Read | Access.Write] = "rw", [Access.None] = null },
        ImmutableDictionary<int, List<int>>.Empty.Add(9, [1, 2]).Add(-9, []),
        [new() { [1] = "a" }, new()],
        new() { [-128] = new() { [SomeGuid] = Color.Blue } });

    public static void AssertSame(KeyedMaps expected, KeyedMaps actual)
    {
        static void Same<TKey, TValue>(IEnumerable<KeyValuePair<TKey, TValue>> a, IEnumerable<KeyValuePair<TKey, TValue>> b)
            => Assert.Equal(a.OrderBy(p => p.Key).ToList(), b.OrderBy(p => p.Key).ToList());
        Same(expected.ByInt, actual.ByInt);
        Same(expected.ByLong, actual.ByLong);
        Same(expected.ByUInt, actual.ByUInt);
        Same(expected.ByULong, actual.ByULong);
        Same(expected.ByShort, actual.ByShort);
        Same(expected.ByByte, actual.ByByte);
        Same(expected.ByGuid, actual.ByGuid);
        Same(expected.ByColor, actual.ByColor);
        Same(expected.ByAccess, actual.ByAccess);
        Assert.Equal(expected.ImmutableByInt.Keys.Order(), actual.ImmutableByInt.Keys.Order());
        foreach (var (key, list) in expected.ImmutableByInt) Assert.Equal(list, actual.ImmutableByInt[key]);
        Assert.Equal(expected.ListOfIntMaps.Count, actual.ListOfIntMaps.Count);
        for (int i = 0; i < expected.ListOfIntMaps.Count; i++) Same(expected.ListOfIntMaps[i], actual.ListOfIntMaps[i]);
        Assert.Equal(expected.Nested.Keys, actual.Nested.Keys);
        foreach (var (key, inner) in expected.Nested) Same(inner, actual.Nested[key]);
    }

    /// <summary>Every method of <see cref="IMoreTypes"/>, its values echoed and checked.</summary>
    public static async Task RoundTripAllAsync(IMoreTypes client)
    {
        foreach (bool extremes in new[] { true, false })
        {
            NewScalars scalars = Scalars(extremes);
            AssertSame(scalars, await client.ScalarsAsync(scalars));
        }
        NewCollections collections = Collections();
        AssertSame(collections, await client.CollectionsAsync(collections));
        NewCollections empty = new([], new HashSet<string>(), new HashSet<Guid>(), [], [], ImmutableDictionary<string, int>.Empty, null, [], [], ImmutableDictionary<string, HashSet<string>>.Empty, []);
        NewCollections emptyBack = await client.CollectionsAsync(empty);
        Assert.Empty(emptyBack.Set);
        Assert.False(emptyBack.ImmutableArray.IsDefault);
        Assert.Empty(emptyBack.ImmutableArray);
        Assert.Empty(emptyBack.ImmutableList);
        Reading reading = Reading();
        AssertSame(reading, await client.ReadingAsync(reading));
        Reading bare = new("s", 0) { At = TimeOnly.MinValue };
        AssertSame(bare, await client.ReadingAsync(bare));
        InitMembers init = Init();
        AssertSame(init, await client.InitAsync(init));
        Assert.Equal(new DateOnly(1, 1, 1), await client.DateAsync(new DateOnly(1, 1, 1)));
        Assert.Equal(new DateOnly(9999, 12, 31), await client.DateAsync(new DateOnly(9999, 12, 31)));
        Assert.Null(await client.MaybeTimeAsync(null));
        Assert.Equal(new TimeOnly(23, 59, 59).Add(TimeSpan.FromTicks(9_999_999)), await client.MaybeTimeAsync(new TimeOnly(23, 59, 59).Add(TimeSpan.FromTicks(9_999_999))));
        Assert.Equal(TimeOnly.MinValue, await client.MaybeTimeAsync(TimeOnly.MinValue));
        Assert.Equal(Int128.MinValue, await client.Int128Async(Int128.MinValue));
        Assert.Equal(Int128.MaxValue, await client.Int128Async(Int128.MaxValue));
        Assert.Equal(Int128.NegativeOne, await client.Int128Async(-1));
        foreach (Half h in new[] { (Half)0.1, Half.MinValue, Half.MaxValue, Half.Epsilon, Half.NegativeZero, Half.PositiveInfinity, Half.NegativeInfinity, (Half)65504, (Half)(-2.5) })
            Assert.Equal(BitConverter.HalfToInt16Bits(h), BitConverter.HalfToInt16Bits(await client.HalfAsync(h)));
        Assert.True(Half.IsNaN(await client.HalfAsync(Half.NaN)));
        HashSet<string> set = await client.SetAsync(["b", "a", "b"]);
        Assert.Equal(new[] { "a", "b" }, set.Order(StringComparer.Ordinal));
        Assert.Equal(new[] { 3, 1, 3 }, (await client.ImmutableArrayAsync([3, 1, 3])).ToArray());
        Assert.Empty(await client.ImmutableArrayAsync(default));   // a default array travels as an empty one
        byte[] big = new byte[1 << 16];
        new Random(5).NextBytes(big);
        Assert.Equal(big[1..^1], (await client.MemoryAsync(big.AsMemory(1, big.Length - 2))).ToArray());
        Assert.Null(await client.UriAsync(null));
        Assert.Equal("https://example.com/x", (await client.UriAsync(new Uri("https://example.com/x")))!.OriginalString);
        KeyedMaps keyed = Keyed();
        AssertSame(keyed, await client.KeyedMapsAsync(keyed));
        Dictionary<Color, int> colors = new() { [Color.Blue] = 0, [(Color)(-5)] = 1 };
        Assert.Equal(colors.OrderBy(p => p.Key), (await client.EnumKeysAsync(colors)).OrderBy(p => p.Key));
        Dictionary<long, Guid> ints = new() { [long.MinValue] = SomeGuid, [0] = Guid.Empty, [long.MaxValue] = SomeGuid };
        Assert.Equal(ints.OrderBy(p => p.Key), (await client.IntKeysAsync(ints)).OrderBy(p => p.Key));
        Dictionary<Guid, ulong> guids = new() { [SomeGuid] = ulong.MaxValue, [Guid.Empty] = 0 };
        Assert.Equal(guids.OrderBy(p => p.Key), (await client.GuidKeysAsync(guids)).OrderBy(p => p.Key));
    }
}
