using FsCheck;
using FsCheck.Fluent;
using SidecarKit.Rpc;
using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>Property-based round-trips: random values of every primitive and collection shape survive the wire.</summary>
public class CodecPropertyTests() : TypesEchoConnection
{
    private static readonly Config s_config = Config.QuickThrowOnFailure.WithMaxTest(300); // a failure prints its seed, to replay it

    // JSON text is UTF-8: a lone surrogate cannot be encoded, so strings are drawn from valid text.
    private static string Clean(string? s) => new((s ?? "").Where(c => !char.IsSurrogate(c)).ToArray());

    private static Gen<AllPrimitives> Primitives() =>
        from b in ArbMap.Default.GeneratorFor<bool>()
        from u8 in ArbMap.Default.GeneratorFor<byte>()
        from i8 in ArbMap.Default.GeneratorFor<sbyte>()
        from i16 in ArbMap.Default.GeneratorFor<short>()
        from u16 in ArbMap.Default.GeneratorFor<ushort>()
        from i32 in ArbMap.Default.GeneratorFor<int>()
        from u32 in ArbMap.Default.GeneratorFor<uint>()
        from i64 in ArbMap.Default.GeneratorFor<long>()
        from u64 in ArbMap.Default.GeneratorFor<ulong>()
        from f in ArbMap.Default.GeneratorFor<float>()
        from d in ArbMap.Default.GeneratorFor<double>()
        from m in ArbMap.Default.GeneratorFor<decimal>()
        from c in ArbMap.Default.GeneratorFor<char>().Where(ch => !char.IsSurrogate(ch))
        from s in ArbMap.Default.GeneratorFor<string>().Select(Clean)
        from bytes in ArbMap.Default.GeneratorFor<byte[]>().Select(x => x ?? [])
        from g in ArbMap.Default.GeneratorFor<Guid>()
        from ticks in Gen.Choose(0, int.MaxValue).Select(t => (long)t * 4_294_967L)
        from offsetMinutes in Gen.Choose(-14 * 60, 14 * 60)
        from span in ArbMap.Default.GeneratorFor<long>()
        select new AllPrimitives(b, u8, i8, i16, u16, i32, u32, i64, u64, f, d, m, c, s, bytes, g,
            new DateTime(ticks % DateTime.MaxValue.Ticks, DateTimeKind.Utc),
            new DateTimeOffset(ticks % (DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay) + TimeSpan.TicksPerDay, TimeSpan.FromMinutes(offsetMinutes)),
            TimeSpan.FromTicks(span));

    [Fact]
    public void Random_primitives_round_trip()
    {
        Prop.ForAll(Primitives().ToArbitrary(), value =>
        {
            AllPrimitives back = Types.PrimitivesAsync(value).GetAwaiter().GetResult();
            // Floats compare by bits, so NaN payloads and -0.0 must survive exactly as far as JSON can carry them.
            return back with { Single = value.Single, Double = value.Double, Bytes = value.Bytes } == value
                && back.Bytes.SequenceEqual(value.Bytes)
                && SameFloat(value.Single, back.Single)
                && SameFloat(value.Double, back.Double)
                && back.DateTimeOffset.Offset == value.DateTimeOffset.Offset;
        }).Check(s_config);
    }

    private static bool SameFloat(double a, double b) => double.IsNaN(a) ? double.IsNaN(b) : a.Equals(b) && double.IsNegative(a) == double.IsNegative(b);

    [Fact]
    public void Random_nested_collections_round_trip()
    {
        Gen<Collections> collections =
            from ints in ArbMap.Default.GeneratorFor<int[]>()
            from strings in ArbMap.Default.GeneratorFor<string[]>().Select(a => a.Select(Clean).ToList())
            from longs in ArbMap.Default.GeneratorFor<long[]>()
            from doubles in ArbMap.Default.GeneratorFor<double[]>().Select(a => a.Where(double.IsFinite).ToArray())
            from keys in ArbMap.Default.GeneratorFor<string[]>().Select(a => a.Select(Clean).Distinct().ToArray())
            from nested in ArbMap.Default.GeneratorFor<int[][]>().Select(a => a.Select(x => (x ?? []).ToList()).ToList())
            from nullables in ArbMap.Default.GeneratorFor<int?[]>()
            select new Collections(ints, strings, ints.ToList(), strings.Select(s => new Address(s, s + "!")).ToList(), longs,
                strings.ToList(), doubles, keys.ToDictionary(k => k, k => k.Length), keys.ToDictionary(k => k, k => k.Length % 2 == 0 ? null : (Address?)new Address(k, k)),
                keys.ToDictionary(k => k, k => new List<int> { k.Length }), nested, nullables, strings.Select(s => s.Length == 0 ? null : s).ToList());

        Prop.ForAll(collections.ToArbitrary(), value =>
        {
            Collections back = Types.CollectionsAsync(value).GetAwaiter().GetResult();
            Assert.Equivalent(value, back, strict: true);
            return true;
        }).Check(s_config.WithMaxTest(100));
    }
}
