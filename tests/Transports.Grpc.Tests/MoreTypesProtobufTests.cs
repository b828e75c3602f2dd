using System.Diagnostics;
using SidecarKit.Rpc;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.Grpc.Proto;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// The types of issue 16 in Protocol Buffers: through the generated codecs and back, mapped in the <c>.proto</c> export
/// as docs/grpc.md says, and our bytes read by protoc (the reference implementation) against that export.
/// </summary>
public class MoreTypesProtobufTests
{
    private readonly ProtobufLoopback _loopback = new(new RpcHandlerTable().AddContract<IMoreTypes>(new EchoMoreTypes()));

    private static ContractDescriptor D => Of<IMoreTypes>();

    private static ContractDescriptor Of<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    [Fact]
    public async Task Every_new_type_round_trips_through_the_bytes()
        => await MoreTypesSamples.RoundTripAllAsync(_loopback.GetClient<IMoreTypes>());

    [Fact]
    public void The_new_types_map_as_documented()
    {
        string text = ProtoExporter.Export(D).Text;
        string[] expected =
        [
            "message NewScalars {\n  string date = 1;\n  string time = 2;\n  string int128 = 3;\n  string u_int128 = 4;\n  float half = 5;\n  bytes memory = 6;\n  bytes writable_memory = 7;\n"
                + "  string uri = 8;\n  string version = 9;\n  optional string maybe_date = 10;\n  optional string maybe_time = 11;\n  optional string maybe_int128 = 12;\n  optional float maybe_half = 13;\n"
                + "  optional string maybe_uri = 14;\n  optional string maybe_version = 15;\n}",
            "repeated int32 set = 1;", "repeated string i_set = 2;", "repeated string read_only_set = 3;", "repeated int32 immutable_array = 4;",
            "repeated Address immutable_list = 5;", "map<string, int32> immutable_dictionary = 6;", "repeated string maybe_immutable_array = 7;",
            "repeated string dates = 8;", "repeated Float16List nested = 9;", "map<string, StringList> map_of_sets = 10;", "repeated OptionalString nullable_items = 11;",
            "message Float16List {\n  repeated float items = 1;\n}",
            // integer keys are native, GUID and enum keys strings; maps in lists get wrappers named after their key too
            "message KeyedMaps {\n  map<int32, string> by_int = 1;\n  map<int64, int32> by_long = 2;\n  map<uint32, string> by_u_int = 3;\n  map<uint64, int32> by_u_long = 4;\n"
                + "  map<int32, int32> by_short = 5;\n  map<uint32, int32> by_byte = 6;\n  map<string, Address> by_guid = 7;\n  map<string, int32> by_color = 8;\n"
                + "  map<string, OptionalString> by_access = 9;\n  map<int32, Int32List> immutable_by_int = 10;\n  repeated StringByInt32Map list_of_int_maps = 11;\n"
                + "  map<int32, ColorByGuidMap> nested = 12;\n}",
            "message StringByInt32Map {\n  map<int32, string> entries = 1;\n}", "message ColorByGuidMap {\n  map<string, string> entries = 1;\n}",
            "message IntKeysRequest {\n  map<int64, string> value = 1;\n}",
        ];
        Assert.All(expected, line => Assert.Contains(line, text));
    }

    [Fact]
    public async Task Protoc_reads_our_bytes_against_the_export()
    {
        IMoreTypes client = _loopback.GetClient<IMoreTypes>();
        await client.ScalarsAsync(MoreTypesSamples.Scalars(extremes: true));
        byte[] scalars = _loopback.Requests[^1];
        await client.CollectionsAsync(MoreTypesSamples.Collections());
        byte[] collections = _loopback.Requests[^1];
        await client.KeyedMapsAsync(MoreTypesSamples.Keyed());
        byte[] keyed = _loopback.Requests[^1];

        ProtoFile file = ProtoExporter.Export(D);
        string dir = Directory.CreateTempSubdirectory("proto-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, file.FileName), file.Text);
            string s = Decode(dir, file, "ScalarsRequest", scalars);
            foreach (string line in new[]
            {
                "date: \"9999-12-31\"", "time: \"23:59:59.9999999\"", "int128: \"-170141183460469231731687303715884105728\"",
                "u_int128: \"340282366920938463463374607431768211455\"", "half: 65500", "memory: \"\\000\\001\\376\\377\"",
                "uri: \"https://example.com/a%20b?q=\\303\\274#frag\"", "version: \"1.2.3.4\"", "maybe_date: \"0001-01-01\"",
                "maybe_time: \"13:45:30.5\"", "maybe_half: 6e-08", "maybe_uri: \"../relative/path\"", "maybe_version: \"0.1\"",
            })
                Assert.Contains(line, s);
            string c = Decode(dir, file, "CollectionsRequest", collections);
            foreach (string line in new[]
            {
                "set: 1\nset: 2\nset: 3", "immutable_array: 5\nimmutable_array: -1\nimmutable_array: 5",
                "immutable_list {\nstreet: \"s\"\ncity: \"c\"\n}", "dates: \"2024-02-29\"",
                "nested {\nitems: 0.1\nitems: -inf\n}", "map_of_sets {\nkey: \"m\"\nvalue {\nitems: \"p\"\nitems: \"q\"\n}\n}",
            })
                Assert.Contains(line, c);
            string k = Decode(dir, file, "KeyedMapsRequest", keyed);
            foreach (string line in new[]
            {
                "by_int {\nkey: 0\nvalue: \"zero\"\n}", "by_int {\nkey: -1\nvalue: \"minus one\"\n}", "by_int {\nkey: -2147483648\nvalue: \"min\"\n}",
                "by_long {\nkey: -9223372036854775808\nvalue: 1\n}", "by_u_int {\nkey: 4294967295\nvalue: \"u\"\n}",
                "by_u_long {\nkey: 18446744073709551615\nvalue: 3\n}", "by_short {\nkey: -32768\nvalue: 5\n}", "by_byte {\nkey: 255\nvalue: 6\n}",
                "by_guid {\nkey: \"0f8fad5b-d9cb-469f-a165-70867728950e\"\nvalue {\nstreet: \"s\"", "by_color {\nkey: \"greenBlue\"\nvalue: 2\n}",
                "by_color {\nkey: \"42\"\nvalue: 3\n}", "by_access {\nkey: \"3\"\nvalue {\nvalue: \"rw\"\n}", "by_access {\nkey: \"none\"\nvalue {\n}",
                "nested {\nkey: -128\nvalue {\nentries {\nkey: \"0f8fad5b-d9cb-469f-a165-70867728950e\"\nvalue: \"blue\"\n}",
            })
                Assert.Contains(line, k);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // protoc --decode: the reference implementation's text format of `bytes` read as `message`.
    private static string Decode(string dir, ProtoFile file, string message, byte[] bytes)
    {
        var psi = new ProcessStartInfo("protoc") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (string a in new[] { "--proto_path=" + dir, "--proto_path=/usr/include", $"--decode={file.Package}.{message}", file.FileName })
            psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        p.StandardInput.BaseStream.Write(bytes);
        p.StandardInput.Close();
        string output = p.StandardOutput.ReadToEnd();
        string errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"protoc could not decode {message}:\n{errors}");
        return string.Join("\n", output.ReplaceLineEndings("\n").Split('\n').Select(l => l.TrimStart()));   // without the indentation
    }
}
