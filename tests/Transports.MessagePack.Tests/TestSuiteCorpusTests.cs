using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace SidecarKit.Transports.MessagePack.Tests;

/// <summary>
/// Conformance against the msgpack-test-suite corpus (npm, installed into tests/Conformance by scripts/test.sh):
/// every accepted encoding of every case decodes to the case's value, and our encoding of the value is one of the
/// accepted encodings.
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
        foreach (string hex in accepted)
        {
            var reader = new MessagePackReader(new ReadOnlySequence<byte>(Convert.FromHexString(hex)));
            AssertDecodes(kind, expected, ref reader, hex);
            Assert.True(reader.End, $"{hex}: bytes left over");
        }
        var buffer = new ArrayBufferWriter<byte>();
        Encode(new MessagePackWriter(buffer), kind, expected);
        string ours = Convert.ToHexString(buffer.WrittenSpan).ToLowerInvariant();
        Assert.True(accepted.Contains(ours), $"{group}[{index}]: we wrote {ours}; accepted: {string.Join(", ", accepted)}");
    }

    private static void AssertDecodes(string kind, JsonElement expected, ref MessagePackReader r, string hex)
    {
        switch (kind)
        {
            case "nil": Assert.True(r.TryReadNil(), hex); break;
            case "bool": Assert.Equal(expected.GetBoolean(), r.ReadBoolean()); break;
            case "binary": Assert.Equal(Convert.FromHexString(expected.GetString()!.Replace("-", "")), r.ReadBinary()); break;
            case "string": Assert.Equal(expected.GetString(), r.ReadString()); break;
            case "number":
                if (r.NextType == MessagePackType.Float) Assert.Equal(expected.GetDouble(), r.ReadDouble());
                else if (expected.TryGetInt64(out long l)) Assert.Equal(l, r.ReadInt64());
                else Assert.Equal(expected.GetDouble(), r.ReadDouble());
                break;
            case "bignum":
                string big = expected.GetString()!;
                if (r.NextType == MessagePackType.Float) Assert.Equal(double.Parse(big, CultureInfo.InvariantCulture), r.ReadDouble());
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
                    Assert.Equal(p.Name, r.ReadString());
                    AssertDecodes(KindOf(p.Value), p.Value, ref r, hex);
                }
                break;
            case "timestamp":
                Assert.Equal((expected[0].GetInt64(), expected[1].GetUInt32()), r.ReadTimestamp());
                break;
            case "ext":
                (sbyte type, int length) = r.ReadExtensionHeader();
                Assert.Equal(expected[0].GetInt32(), type);
                Assert.Equal(Convert.FromHexString(expected[1].GetString()!.Replace("-", "")), r.ReadBytes(length).ToArray());
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

    private static void Encode(MessagePackWriter w, string kind, JsonElement e)
    {
        switch (kind)
        {
            case "nil": w.WriteNil(); break;
            case "bool": w.WriteBoolean(e.GetBoolean()); break;
            case "binary": w.WriteBinary(Convert.FromHexString(e.GetString()!.Replace("-", ""))); break;
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
                w.WriteArrayHeader(e.GetArrayLength());
                foreach (JsonElement item in e.EnumerateArray()) Encode(w, KindOf(item), item);
                break;
            case "map":
                w.WriteMapHeader(e.EnumerateObject().Count());
                foreach (JsonProperty p in e.EnumerateObject())
                {
                    w.WriteString(p.Name);
                    Encode(w, KindOf(p.Value), p.Value);
                }
                break;
            case "timestamp": w.WriteTimestamp(e[0].GetInt64(), e[1].GetUInt32()); break;
            case "ext": w.WriteExtension((sbyte)e[0].GetInt32(), Convert.FromHexString(e[1].GetString()!.Replace("-", ""))); break;
        }
    }
}
