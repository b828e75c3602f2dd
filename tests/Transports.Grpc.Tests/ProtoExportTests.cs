using System.Diagnostics;
using SidecarKit.Samples.Demo;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.Grpc.Proto;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// The contract → proto3 export: the demo contract's file exactly, the mapping of every supported type shape, the same
/// text every time, and protoc (Debian's protobuf-compiler, the reference implementation) accepting every export.
/// </summary>
public class ProtoExportTests
{
    private static ContractDescriptor D<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    private static readonly ContractDescriptor[] s_all =
    [
        D<IDemo>(), D<IDemoEvents>(), D<ITypes>(), D<IEngine>(), D<IParent>(), D<ISpec>(), D<IChaosControl>(), D<IPinned>(), D<IMoreTypes>(), D<IShapes>(),
    ];

    [Fact]
    public void The_demo_contract_exports_the_golden_file()
    {
        ProtoFile file = ProtoExporter.Export(D<IDemo>());
        Assert.Equal(("demo.proto", "sidecarkit.demo", "Demo"), (file.FileName, file.Package, file.Service));
        AssertGolden("demo.proto", file.Text);
    }

    // Polymorphism: each base a message of one oneof, its cases the derived types' messages (docs/grpc.md).
    [Fact]
    public void The_polymorphic_contract_exports_the_golden_file()
        => AssertGolden("shapes.proto", ProtoExporter.Export(D<IShapes>()).Text);

    // The callback side, which polyglot parents use to serve the sidecar's calls back (docs/grpc.md, "Callbacks").
    [Fact]
    public void The_callback_contract_and_the_callback_service_export_the_golden_files()
    {
        ProtoFile events = ProtoExporter.Export(D<IDemoEvents>());
        Assert.Equal(("demo_events.proto", "sidecarkit.demo_events", "DemoEvents"), (events.FileName, events.Package, events.Service));
        AssertGolden("demo_events.proto", events.Text);
        ProtoFile callbacks = ProtoExporter.Callbacks;
        Assert.Equal(("sidecarkit_callbacks.proto", "sidecarkit.callbacks", "Callbacks"), (callbacks.FileName, callbacks.Package, callbacks.Service));
        AssertGolden("sidecarkit_callbacks.proto", callbacks.Text);
        InTemporaryDirectory(dir =>
        {
            File.WriteAllText(Path.Combine(dir, callbacks.FileName), callbacks.Text);
            (int code, string errors) = Protoc(dir, callbacks.FileName);
            Assert.True(code == 0, errors);
        });
    }

    // To accept a deliberate change: UPDATE_GOLDEN=1 dotnet test, then review the diff.
    private static void AssertGolden(string name, string text)
    {
        string source = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../Golden", name));
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1") File.WriteAllText(source, text);
        Assert.Equal(File.ReadAllText(File.Exists(source) ? source : Path.Combine(AppContext.BaseDirectory, "Golden", name)).ReplaceLineEndings("\n"), text);
    }

    [Fact]
    public void Every_type_shape_maps_as_documented()
    {
        string text = ProtoExporter.Export(D<ITypes>()).Text;
        string[] expected =
        [
            // scalars (AllPrimitives, in declaration order)
            "bool bool = 1;", "uint32 byte = 2;", "int32 s_byte = 3;", "int32 int16 = 4;", "uint32 u_int16 = 5;", "int32 int32 = 6;",
            "uint32 u_int32 = 7;", "int64 int64 = 8;", "uint64 u_int64 = 9;", "float single = 10;", "double double = 11;",
            "string decimal = 12;", "string char = 13;", "string string = 14;", "bytes bytes = 15;", "string guid = 16;",
            "google.protobuf.Timestamp date_time = 17;", "google.protobuf.Timestamp date_time_offset = 18;", "google.protobuf.Duration time_span = 19;",
            // collections
            "repeated int32 array = 1;", "repeated Address read_only_list = 4;", "map<string, int32> dictionary = 8;",
            "map<string, OptionalAddress> read_only_dictionary = 9;", "map<string, Int32List> dictionary_of_lists = 10;",
            "repeated Int32List nested = 11;", "repeated OptionalInt32 nullable_items = 12;", "repeated OptionalString nullable_strings = 13;",
            // wrappers protobuf needs (no nested repeated, no null elements)
            "message Int32List {\n  repeated int32 items = 1;\n}", "message OptionalInt32 {\n  optional int32 value = 1;\n}",
            "message OptionalAddress {\n  Address value = 1;\n}",
            // nullable scalars keep presence; messages have it anyway; enums travel as names
            "message NullableIntRequest {\n  optional int32 value = 1;\n}", "message NullableIntResponse {\n  optional int32 result = 1;\n}",
            "optional string favourite = 4;", "Point maybe_point = 5;", "string access = 6;", "Address missing = 7;",
            // optional parameters keep presence so the default can apply
            "message DefaultsRequest {\n  int32 a = 1;\n  optional int32 b = 2;\n  optional string c = 3;\n  optional string color = 4;\n}",
            // a recursive type refers to itself
            "message Node {\n  string name = 1;\n  repeated Node children = 2;\n}",
            // results without a value
            "rpc Nothing(NothingRequest) returns (google.protobuf.Empty);", "message NothingRequest {}",
            "import \"google/protobuf/duration.proto\";\nimport \"google/protobuf/empty.proto\";\nimport \"google/protobuf/timestamp.proto\";",
        ];
        Assert.All(expected, line => Assert.Contains(line, text));
    }

    [Fact]
    public void Streams_and_notifications_map_to_server_streaming_and_empty()
    {
        string text = ProtoExporter.Export(D<IDemo>()).Text;
        Assert.Contains("rpc Count(CountRequest) returns (stream CountResponse);", text);
        Assert.Contains("message CountResponse {\n  int32 item = 1;\n}", text);
        Assert.Contains("rpc Log(LogRequest) returns (google.protobuf.Empty);", text);
        Assert.Equal(("sidecarkit.demo_events", "DemoEvents"), (ProtoExporter.Export(D<IDemoEvents>()).Package, ProtoExporter.Export(D<IDemoEvents>()).Service));
    }

    [Fact]
    public void SidecarField_pins_field_numbers_and_the_rest_stay_positional()
    {
        string text = ProtoExporter.Export(D<IPinned>()).Text;
        Assert.Contains("message PlaceRequest {\n  reserved 3, 4;\n  string customer = 2;\n  int32 quantity = 1;\n}", text);
        Assert.Contains("message Order {\n  reserved 5;\n  string id = 7;\n  int32 quantity = 2;\n  string customer = 3;\n}", text);
        Assert.Contains("\"field\":7", D<IPinned>().DescriptionJson);
        Assert.DoesNotContain("\"field\"", D<IDemo>().DescriptionJson); // unpinned contracts keep their fingerprints
    }

    [Fact]
    public void SidecarReserved_numbers_are_the_first_line_of_the_message_and_protoc_refuses_to_reuse_them()
    {
        ProtoFile file = ProtoExporter.Export(D<IPinned>());
        Assert.Equal([3, 4], D<IPinned>().Schema.Methods[0].ReservedNumbers);
        Assert.Equal([5], D<IPinned>().Schema.FindType("Order")!.ReservedNumbers);
        Assert.Empty(D<IDemo>().Schema.Methods[0].ReservedNumbers);   // none declared: no reserved line anywhere
        Assert.DoesNotContain("reserved", ProtoExporter.Export(D<IDemo>()).Text);
        Assert.DoesNotContain("\"reserved\"", D<IPinned>().DescriptionJson);   // not part of the description nor the fingerprint
        // The line means what it says: the same file with a field on a reserved number does not compile.
        InTemporaryDirectory(dir =>
        {
            string reused = file.Text.Replace("string customer = 3;", "string customer = 5;", StringComparison.Ordinal);
            Assert.NotEqual(file.Text, reused);
            File.WriteAllText(Path.Combine(dir, file.FileName), reused);
            (int code, string errors) = Protoc(dir, file.FileName);
            Assert.NotEqual(0, code);
            Assert.Contains("reserved", errors, StringComparison.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public void Export_is_deterministic()
    {
        foreach (ContractDescriptor contract in s_all)
            Assert.Equal(ProtoExporter.Export(contract).Text, ProtoExporter.Export(contract).Text);
        string all = ProtoExporter.ExportAll([D<IDemo>(), D<ITypes>()]);
        Assert.Equal(all, ProtoExporter.ExportAll([D<IDemo>(), D<ITypes>()]));
        Assert.StartsWith("// file: demo.proto\n", all);
        Assert.Contains("\n// file: types.proto\n", all);
    }

    [Theory]
    [InlineData("add", "Add")]
    [InlineData("homeAndKitchen", "HomeAndKitchen")]
    [InlineData("stream.item", "StreamItem")]
    public void Names_are_pascal_case(string wire, string expected) => Assert.Equal(expected, ProtoExporter.Pascal(wire));

    [Theory]
    [InlineData("updatedAt", "updated_at")]
    [InlineData("HTTPServer", "http_server")]
    [InlineData("int32", "int32")]
    [InlineData("demoEvents", "demo_events")]
    public void Field_names_are_snake_case(string wire, string expected) => Assert.Equal(expected, ProtoExporter.Snake(wire));

    [Fact]
    public void Protoc_accepts_every_exported_file()
    {
        InTemporaryDirectory(dir =>
        {
            foreach (ContractDescriptor contract in s_all)
            {
                ProtoFile file = ProtoExporter.Export(contract);
                File.WriteAllText(Path.Combine(dir, file.FileName), file.Text);
                (int code, string errors) = Protoc(dir, file.FileName);
                Assert.True(code == 0, $"protoc rejected {file.FileName}:\n{errors}\n{file.Text}");
            }
        });
    }

    [Fact]
    public void Reflection_descriptors_are_what_protoc_makes_of_the_same_files()
    {
        // Server reflection sends FileDescriptorProtos built from the same declarations as the text: for every export,
        // they must equal protoc's own descriptor of that text, field for field (json names, map entries, the
        // synthetic oneofs of proto3 optional fields, streaming flags).
        InTemporaryDirectory(dir =>
        {
            foreach (ContractDescriptor contract in s_all)
            {
                ProtoFile file = ProtoExporter.Export(contract);
                File.WriteAllText(Path.Combine(dir, file.FileName), file.Text);
                AssertSameDescriptor(ProtocDescriptor(dir, file.FileName), ProtoDescriptors.Encode(file.Model!));
            }
            // The files they import, as Debian ships them (their options, such as java_package, are not sent).
            foreach (ProtoFileModel wellKnown in ProtoDescriptors.WellKnown)
                AssertSameDescriptor(ProtocDescriptor("/usr/include", wellKnown.FileName), ProtoDescriptors.Encode(wellKnown));
            // grpc.health.v1 as grpc publishes it (Check and Watch).
            Directory.CreateDirectory(Path.Combine(dir, "grpc/health/v1"));
            File.WriteAllText(Path.Combine(dir, "grpc/health/v1/health.proto"), HealthProto);
            AssertSameDescriptor(ProtocDescriptor(dir, "grpc/health/v1/health.proto"), ProtoDescriptors.Encode(ProtoDescriptors.Health));
        });
    }

    [Fact]
    public void A_descriptor_that_differs_from_protocs_is_caught()
    {
        // The comparison above can fail: a map field encoded as a plain repeated field differs from protoc's.
        InTemporaryDirectory(dir =>
        {
            ProtoFile file = ProtoExporter.Export(D<ITypes>());
            File.WriteAllText(Path.Combine(dir, file.FileName), file.Text);
            ProtoFileModel wrong = file.Model! with
            {
                Messages = [.. file.Model!.Messages.Select(m => m with { Fields = [.. m.Fields.Select(f => f.Label == ProtoLabel.Map ? f with { Label = ProtoLabel.Repeated } : f)] })],
            };
            Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertSameDescriptor(ProtocDescriptor(dir, file.FileName), ProtoDescriptors.Encode(wrong)));
        });
    }

    private const string HealthProto = """
        syntax = "proto3";

        package grpc.health.v1;

        message HealthCheckRequest {
          string service = 1;
        }

        message HealthCheckResponse {
          enum ServingStatus {
            UNKNOWN = 0;
            SERVING = 1;
            NOT_SERVING = 2;
            SERVICE_UNKNOWN = 3;
          }
          ServingStatus status = 1;
        }

        service Health {
          rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
          rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
        }
        """;

    private static void AssertSameDescriptor(Google.Protobuf.Reflection.FileDescriptorProto protoc, byte[] ours)
    {
        var expected = protoc.Clone();
        expected.Options = null;
        expected.SourceCodeInfo = null;
        var actual = Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(ours);
        Assert.Equal(expected.ToString(), actual.ToString());
        Assert.Equal(expected, actual);
    }

    // protoc's descriptor of `file` (relative to `dir`), its imports found in /usr/include.
    private static Google.Protobuf.Reflection.FileDescriptorProto ProtocDescriptor(string dir, string file)
    {
        string output = Path.Combine(Path.GetTempPath(), "descriptor-" + Guid.NewGuid().ToString("N") + ".pb");
        try
        {
            (int code, string errors) = Protoc(dir, file, output);
            Assert.True(code == 0, $"protoc rejected {file}:\n{errors}");
            var set = Google.Protobuf.Reflection.FileDescriptorSet.Parser.ParseFrom(File.ReadAllBytes(output));
            return Assert.Single(set.File);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void Protoc_rejects_a_broken_file_so_the_acceptance_above_means_something()
    {
        InTemporaryDirectory(dir =>
        {
            string broken = ProtoExporter.Export(D<IDemo>()).Text.Replace("message Person {", "message Person {\n  Nowhere bad = 9;");
            File.WriteAllText(Path.Combine(dir, "demo.proto"), broken);
            (int code, string errors) = Protoc(dir, "demo.proto");
            Assert.NotEqual(0, code);
            Assert.Contains("Nowhere", errors);
        });
    }

    [Fact]
    public void The_demo_sidecar_prints_the_same_file_with_describe_proto()
    {
        string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../samples/Demo/Sidecar/bin", config, "net10.0/SidecarKit.Samples.Demo.Sidecar.dll"));
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--describe");
        psi.ArgumentList.Add("proto");
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit(60_000);
        Assert.Equal(0, p.ExitCode);
        Assert.Equal(ProtoExporter.Export(D<IDemo>()).Text + "\n", output.ReplaceLineEndings("\n"));
    }

    // --output writes every file, the callback side included, and protoc compiles them together.
    [Fact]
    public void Describe_proto_output_writes_the_contract_the_callback_contract_and_the_callback_service()
    {
        string config = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../samples/Demo/Sidecar/bin", config, "net10.0/SidecarKit.Samples.Demo.Sidecar.dll"));
        InTemporaryDirectory(dir =>
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { dll, "--describe", "proto", "--output", dir }) psi.ArgumentList.Add(a);
            using Process p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit(60_000);
            Assert.Equal(0, p.ExitCode);
            string[] names = ["demo.proto", "demo_events.proto", "sidecarkit_callbacks.proto"];
            Assert.Equal(names.Select(n => Path.Combine(dir, n)), output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.Equal(ProtoExporter.Export(D<IDemo>()).Text, File.ReadAllText(Path.Combine(dir, "demo.proto")));
            Assert.Equal(ProtoExporter.Export(D<IDemoEvents>()).Text, File.ReadAllText(Path.Combine(dir, "demo_events.proto")));
            Assert.Equal(ProtoExporter.Callbacks.Text, File.ReadAllText(Path.Combine(dir, "sidecarkit_callbacks.proto")));
            foreach (string name in names)
            {
                (int code, string errors) = Protoc(dir, name);
                Assert.True(code == 0, name + ": " + errors);
            }
        });
    }

    private static void InTemporaryDirectory(Action<string> test)
    {
        string dir = Directory.CreateTempSubdirectory("proto-").FullName;
        try { test(dir); }
        finally { Directory.Delete(dir, recursive: true); }
    }

    // Debian's protoc, with its well-known types under /usr/include (scripts/test.sh installs protobuf-compiler).
    private static (int Code, string Errors) Protoc(string dir, string file, string? descriptorSet = null)
    {
        var psi = new ProcessStartInfo("protoc") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "--proto_path=" + dir, "--proto_path=/usr/include", "--descriptor_set_out=" + (descriptorSet ?? Path.Combine(dir, "out.pb")), file })
            psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("!!!!!!!! protoc is missing: apt-get install protobuf-compiler (scripts/test.sh does this). " + e.Message);
        }
        using (p)
        {
            string errors = p.StandardError.ReadToEnd();
            p.WaitForExit(60_000);
            return (p.ExitCode, errors);
        }
    }
}
