using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace SidecarKit.Tests.Support;

/// <summary>
/// The fuzz suite's runner and generators: every property runs a bounded number of inputs from one seed, so a run is
/// reproducible. The seed is <c>SIDECARKIT_FUZZ_SEED</c> when set (<c>seed</c>, <c>seed,gamma</c> or
/// <c>seed,gamma,size</c>, as printed by a failure), else a fixed default; a failure names the seed to replay it with.
/// </summary>
public static class Fuzz
{
    public const string SeedVariable = "SIDECARKIT_FUZZ_SEED";
    private const ulong DefaultSeed = 20261206;
    private const ulong DefaultGamma = 0x9E3779B97F4A7C15; // odd, as SplitMix wants

    /// <summary>The replay in force: the environment variable's, or the fixed default.</summary>
    public static (ulong Seed, ulong Gamma, int? Size) Replay { get; } = ParseSeed(Environment.GetEnvironmentVariable(SeedVariable));

    private static (ulong, ulong, int?) ParseSeed(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (DefaultSeed, DefaultGamma, null);
        string[] parts = text.Trim().Trim('(', ')').Split(',', StringSplitOptions.TrimEntries);
        ulong seed = ulong.Parse(parts[0]);
        ulong gamma = parts.Length > 1 ? ulong.Parse(parts[1]) : DefaultGamma;
        int? size = parts.Length > 2 ? int.Parse(parts[2]) : null;
        return (seed, gamma | 1, size);
    }

    /// <summary>
    /// Checks <paramref name="property"/> on <paramref name="maxTest"/> inputs drawn from <paramref name="inputs"/>:
    /// the property asserts (throws) or returns false on a failure. No shrinking: the failing input is printed as it
    /// was drawn, with the seed that replays the whole run.
    /// </summary>
    public static void Check<T>(string name, Gen<T> inputs, Func<T, bool> property, int maxTest)
    {
        (ulong seed, ulong gamma, int? size) = Replay;
        Config config = Config.QuickThrowOnFailure
            .WithName(name)
            .WithMaxTest(maxTest)
            .WithEndSize(100)
            .WithReplay(FSharpOption<FsCheck.Replay>.Some(new FsCheck.Replay(new Rnd(seed, gamma),
                size is { } s ? FSharpOption<int>.Some(s) : FSharpOption<int>.None)));
        try
        {
            Prop.ForAll(Arb.From(inputs, _ => []), property).Check(config);
        }
        catch (Exception e)
        {
            throw new FuzzFailure($"{name} failed with {SeedVariable}={seed},{gamma}{(size is { } z ? "," + z : "")} " +
                $"(replay it with that variable; FsCheck's own replay of the failing input, if shown below, is seed,gamma,size).\n{e.Message}", e);
        }
    }

    /// <summary>Random bytes, 0 to <paramref name="maxLength"/> long (scaled by FsCheck's size).</summary>
    public static Gen<byte[]> Bytes(int maxLength)
        => Gen.Sized(size => Gen.Choose(0, Math.Max(1, maxLength * Math.Max(size, 1) / 100))
            .SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n)));

    private static readonly byte[] s_interesting = [0x00, 0x01, 0x7f, 0x80, 0xff, (byte)'\n', (byte)'\r', (byte)'{', (byte)'}', (byte)'[', (byte)'"', (byte)':', 0xc0, 0xc1, 0xdc, 0xdd, 0xde, 0xdf, 0xd9, 0xdb, 0xc6, 0xc7];

    /// <summary>
    /// <paramref name="valid"/> changed 1 to 4 times: bits flipped, cut short, a slice repeated or removed, random or
    /// telling bytes (format bytes, delimiters) put in, bytes set to edge values.
    /// </summary>
    public static Gen<byte[]> Mutated(Gen<byte[]> valid)
        => from seed in valid
           from count in Gen.Choose(1, 4)
           from ops in Gen.ArrayOf(Gen.Choose(0, 5).Zip(Gen.Choose(0, int.MaxValue)).Zip(Gen.Choose(0, int.MaxValue)), count)
           select ops.Aggregate(seed, (bytes, op) => Mutate(bytes, op.Item1.Item1, op.Item1.Item2, op.Item2));

    private static byte[] Mutate(byte[] b, int op, int x, int y)
    {
        if (b.Length == 0) return [(byte)x];
        int at = x % b.Length;
        switch (op)
        {
            case 0: // flip a bit
            {
                byte[] c = [.. b];
                c[at] ^= (byte)(1 << (y % 8));
                return c;
            }
            case 1: // cut short
                return b[..at];
            case 2: // repeat a slice
            {
                int len = Math.Min(b.Length - at, 1 + y % 64);
                return [.. b[..(at + len)], .. b[at..(at + len)], .. b[(at + len)..]];
            }
            case 3: // remove a slice
            {
                int len = Math.Min(b.Length - at, 1 + y % 16);
                return [.. b[..at], .. b[(at + len)..]];
            }
            case 4: // put in a telling byte
                return [.. b[..at], s_interesting[y % s_interesting.Length], .. b[at..]];
            default: // set a byte to an edge value
            {
                byte[] c = [.. b];
                c[at] = s_interesting[y % s_interesting.Length];
                return c;
            }
        }
    }

    /// <summary>Cut points for <paramref name="length"/> bytes: pieces of 1 to <paramref name="maxPiece"/> bytes, often tiny.</summary>
    public static Gen<int[]> Pieces(int length, int maxPiece = 64)
        => Gen.ArrayOf(Gen.Frequency((3, Gen.Choose(1, 3)), (2, Gen.Choose(1, maxPiece))), Math.Max(1, length))
            .Select(sizes => Cut(sizes, length));

    private static int[] Cut(int[] sizes, int length)
    {
        var pieces = new List<int>();
        int total = 0;
        foreach (int s in sizes)
        {
            if (total >= length) break;
            int n = Math.Min(s, length - total);
            pieces.Add(n);
            total += n;
        }
        return [.. pieces];
    }

    /// <summary>Bytes and the pieces they arrive in.</summary>
    public static Gen<(byte[] Bytes, int[] Pieces)> Chunked(Gen<byte[]> bytes, int maxPiece = 64)
        => from b in bytes
           from p in Pieces(b.Length, maxPiece)
           select (b, p);

    /// <summary>Hex of at most the first 256 bytes, for failure messages.</summary>
    public static string Show(byte[] bytes) => Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 256))) + (bytes.Length > 256 ? $"… ({bytes.Length} bytes)" : "");
}

/// <summary>A fuzz property failed; the message names the seed that replays it.</summary>
public sealed class FuzzFailure(string message, Exception inner) : Exception(message, inner);
