using System.Buffers;
using System.Globalization;
using System.Text.Json;
using MessagePack;
using SidecarKit.Wire;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>
/// Conformance against the msgpack-test-suite corpus (npm, installed into tests/Conformance by scripts/test.sh):
/// every accepted encoding of every case decodes to the case's value through MessagePack-CSharp's reader as we call it
/// (strings strictly UTF-8), and our encoding of the value, through the <see cref="MessagePackWireWriter"/> the codecs
/// drive, is one of the accepted encodings.
/// </summary>
public class TestSuiteCorpusTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (JsonProperty group in Corpus().EnumerateObject())
            for (int i = 0; i < group.Value.GetArrayLength(); i++) data.Add(group.Name, i);
        return data;
    }

    private static JsonElement Corpus()
    {
        string path = Path.Combine(RepoRoot(), "tests", "Conformance", "node_modules", "msgpack-test-suite", "dist", "msgpack-test-suite.json");
        if (!File.Exists(path))
            throw new FileNotFoundException($"The msgpack-test-suite corpus is missing ({path}). Run scripts/test.sh, which installs it with npm.");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Toolkit.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Toolkit.sln not found");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_case_decodes_and_encodes_to_an_accepted_form(string group, int index)
    {
        JsonElement c = Corpus().GetProperty(group)[index];
        string[] accepted = [.. c.GetProperty("msgpack").EnumerateArray().Select(e => e.GetString()!.Replace("-", "").ToLowerInvariant())];
        // A case is {"<kind>": value, "msgpack": [...]}; 64-bit integers also carry "bignum" (exact, as a string).
        string kind = c.TryGetProperty("bignum", out _) ? "bignum" : c.EnumerateObject().First(p => p.Name != "msgpack").Name;
        JsonElement expected = c.GetProperty(kind);
        if (kind == "timestamp")
        {
            AssertTimestamp(group, index, expected, accepted);
            return;
        }
        foreach (string hex in accepted)
        {
            var reader = new MessagePackReader(Convert.FromHexString(hex));
            AssertDecodes(kind, expected, ref reader, hex);
            Assert.True(reader.End, $"{hex}: bytes left over");
        }
        string ours = Hex((ref MessagePackWireWriter w) => Encode(ref w, kind, expected));
        Assert.True(accepted.Contains(ours), $"{group}[{index}]: we wrote {ours}; accepted: {string.Join(", ", accepted)}");
    }

    private delegate void WriteAction(ref MessagePackWireWriter writer);

    private static string Hex(WriteAction write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWireWriter(buffer);
        write(ref writer);
        writer.Flush();
        return Convert.ToHexString(buffer.WrittenSpan).ToLowerInvariant();
    }

    // Timestamps are read into DateTime/DateTimeOffset, which hold 100 ns ticks from year 1 to 9999: a case decodes to
    // its instant truncated to the tick, a case outside that range is a clear WireFormatException, and a case that a
    // DateTimeOffset holds exactly is written in one of the accepted forms.
    private static void AssertTimestamp(string group, int index, JsonElement expected, string[] accepted)
    {
        long seconds = expected[0].GetInt64();
        uint nanoseconds = expected[1].GetUInt32();
        bool inRange = seconds >= DateTimeOffset.MinValue.ToUnixTimeSeconds() && seconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds();
        DateTimeOffset instant = inRange ? DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanoseconds / 100) : default;
        foreach (string hex in accepted)
        {
            var reader = new MessagePackWireReader(new ReadOnlyMemory<byte>(Convert.FromHexString(hex)));
            if (!inRange)
            {
                try
                {
                    reader.ReadDateTimeOffset();
                    Assert.Fail($"{hex}: a timestamp outside DateTimeOffset's range was read");
                }
                catch (WireFormatException e)
                {
                    Assert.Contains("outside the range", e.Message);
                }
                continue;
            }
            Assert.Equal(instant, reader.ReadDateTimeOffset());
            Assert.Equal(WireTokenKind.None, reader.TokenKind);
        }
        if (!inRange) return;
        string ours = Hex((ref MessagePackWireWriter w) => w.WriteDateTimeOffset(instant));
        if (nanoseconds % 100 == 0)
            Assert.True(accepted.Contains(ours), $"{group}[{index}]: we wrote {ours}; accepted: {string.Join(", ", accepted)}");
        else
            Assert.Equal(instant, new MessagePackWireReader(new ReadOnlyMemory<byte>(Convert.FromHexString(ours))).ReadDateTimeOffset());
    }

    private static void AssertDecodes(string kind, JsonElement expected, ref MessagePackReader r, string hex)
    {
        switch (kind)
        {
            case "nil": Assert.True(r.TryReadNil(), hex); break;
            case "bool": Assert.Equal(expected.GetBoolean(), r.ReadBoolean()); break;
            case "binary": Assert.Equal(Convert.FromHexString(expected.GetString()!.Replace("-", "")), r.ReadBytes()!.Value.ToArray()); break;
            case "string": Assert.Equal(expected.GetString(), UntrustedInput.ReadString(ref r)); break;
            case "number":
                if (r.NextMessagePackType == MessagePackType.Float) Assert.Equal(expected.GetDouble(), r.ReadDouble());
                else if (expected.TryGetInt64(out long l)) Assert.Equal(l, r.ReadInt64());
                else Assert.Equal(expected.GetDouble(), r.ReadDouble());
                break;
            case "bignum":
                string big = expected.GetString()!;
                if (r.NextMessagePackType == MessagePackType.Float) Assert.Equal(double.Parse(big, CultureInfo.InvariantCulture), r.ReadDouble());
                else if (big.StartsWith('-')) Assert.Equal(long.Parse(big, CultureInfo.InvariantCulture), r.ReadInt64());
                else Assert.Equal(ulong.Parse(big, CultureInfo.InvariantCulture), r.ReadUInt64());
                break;
            case "array":
                int items = r.ReadArrayHeader();
                Assert.Equal(expected.GetArrayLength(), items);
                foreach (JsonElement item in expected.EnumerateArray()) AssertDecodes(KindOf(item), item, ref r, hex);
                break;
            case "map":
                int entries = r.ReadMapHeader();
                Assert.Equal(expected.EnumerateObject().Count(), entries);
                foreach (JsonProperty p in expected.EnumerateObject())
                {
                    Assert.Equal(p.Name, UntrustedInput.ReadString(ref r));
                    AssertDecodes(KindOf(p.Value), p.Value, ref r, hex);
                }
                break;
            case "ext":
                ExtensionResult ext = r.ReadExtensionFormat();
                Assert.Equal(expected[0].GetInt32(), ext.TypeCode);
                Assert.Equal(Convert.FromHexString(expected[1].GetString()!.Replace("-", "")), ext.Data.ToArray());
                break;
            default: Assert.Fail($"unknown case kind '{kind}'"); break;
        }
    }

    private static string KindOf(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null => "nil",
        JsonValueKind.True or JsonValueKind.False => "bool",
        JsonValueKind.Number => "number",
        JsonValueKind.String => "string",
        JsonValueKind.Array => "array",
        _ => "map",
    };

    // Written through the IWireWriter the generated codecs drive (extensions, which no contract type has, through the
    // library writer underneath it).
    private static void Encode(ref MessagePackWireWriter w, string kind, JsonElement e)
    {
        switch (kind)
        {
            case "nil": w.WriteNull(); break;
            case "bool": w.WriteBoolean(e.GetBoolean()); break;
            case "binary": w.WriteBytes(Convert.FromHexString(e.GetString()!.Replace("-", ""))); break;
            case "string": w.WriteString(e.GetString()!); break;
            case "number":
                if (e.TryGetInt64(out long l)) w.WriteInt64(l);
                else w.WriteDouble(e.GetDouble());
                break;
            case "bignum":
                string big = e.GetString()!;
                if (big.StartsWith('-')) w.WriteInt64(long.Parse(big, CultureInfo.InvariantCulture));
                else w.WriteUInt64(ulong.Parse(big, CultureInfo.InvariantCulture));
                break;
            case "array":
                w.WriteStartArray(e.GetArrayLength());
                foreach (JsonElement item in e.EnumerateArray()) Encode(ref w, KindOf(item), item);
                w.WriteEndArray();
                break;
            case "map":
                w.WriteStartMap(e.EnumerateObject().Count());
                foreach (JsonProperty p in e.EnumerateObject())
                {
                    w.WriteKey(p.Name);
                    Encode(ref w, KindOf(p.Value), p.Value);
                }
                w.WriteEndMap();
                break;
            case "ext":
                byte[] data = Convert.FromHexString(e[1].GetString()!.Replace("-", ""));
                w.Writer.WriteExtensionFormat(new ExtensionResult((sbyte)e[0].GetInt32(), data));
                break;
        }
    }
}
