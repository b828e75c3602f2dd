using System.Diagnostics;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarKit.Hosting;
using SidecarKit.Rpc;
using SidecarKit.Tests.Support;
using SidecarKit.Transports.Grpc.Proto;
using SidecarKit.Transports.Grpc.Server;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// Polymorphism ([SidecarDerivedType]) in Protocol Buffers: the base's message is a <c>oneof</c> of its cases' messages
/// (docs/grpc.md). Through a real gRPC server and the generated proxy, the exact bytes, Google.Protobuf's reader and
/// protoc (against the export) reading them, and the errors.
/// </summary>
public class PolymorphismGrpcTests
{
    private sealed record Triangle(string Name) : Shape(Name);

    private static ContractDescriptor D => Of<IShapes>();

    private static ContractDescriptor Of<T>() where T : class, ISidecarContract<T> => T.Descriptor;

    [Fact]
    public async Task Every_case_round_trips_through_a_grpc_server_and_the_proxy()
    {
        var context = new SidecarServerContext(new SidecarHostOptions { Transport = "grpc" }, null, NullLoggerFactory.Instance,
            [D], _ => new RpcHandlerTable().AddContract<IShapes>(new ShapesService()));
        await using ISidecarServer server = await GrpcServer.StartAsync(context, unix: false, new GrpcServerOptions(), CancellationToken.None);
        server.SetServing(true);
        await using GrpcSidecarChannel channel = GrpcSidecarChannel.Create(server.ListenInfo);
        await ShapesSamples.RoundTripAllAsync(channel.GetClient<IShapes>());
    }

    [Fact]
    public void The_export_has_a_oneof_per_base_and_protoc_accepts_it()
    {
        ProtoFile file = ProtoExporter.Export(D);
        Assert.Contains("message Shape {\n  oneof variant {\n    Circle circle = 101;\n    Square square = 102;\n    Group group = 110;\n  }\n}", file.Text);
        Assert.Contains("message Circle {\n  string name = 1;\n  double radius = 2;\n}", file.Text);
        Assert.Contains("message Group {\n  string name = 1;\n  repeated Shape members = 2;\n}", file.Text);
        // A concrete base: itself is the case named after it (its own members in <Base>Value), at tag 100.
        Assert.Contains("message Label {\n  oneof variant {\n    LabelValue label = 100;\n    BoldLabel bold = 101;\n  }\n}", file.Text);
        Assert.Contains("message LabelValue {\n  string text = 1;\n}", file.Text);
        Assert.Contains("message Canvas {\n  Shape background = 1;\n  Shape highlight = 2;\n  repeated Label labels = 3;\n}", file.Text);
        string dir = Directory.CreateTempSubdirectory("proto-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, file.FileName), file.Text);
            (int code, string output) = Protoc(dir, null, "--proto_path=" + dir, "--proto_path=/usr/include", "--descriptor_set_out=" + Path.Combine(dir, "out.pb"), file.FileName);
            Assert.True(code == 0, output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task The_bytes_are_the_oneof_case_holding_the_derived_message_as_Google_Protobuf_reads_them()
    {
        var loopback = new ProtobufLoopback(new RpcHandlerTable().AddContract<IShapes>(new ShapesService()));
        IShapes shapes = loopback.GetClient<IShapes>();
        Assert.Equal(ShapesSamples.Circle, await shapes.EchoAsync(ShapesSamples.Circle));
        // EchoRequest { shape (1) = Shape { circle (101) = Circle { name (1) = "c"; radius (2) = 1.5 } } }
        Assert.Equal("0a0faa060c0a016311000000000000f83f", Convert.ToHexString(loopback.Requests[^1]).ToLowerInvariant());
        // EchoResponse { result (1) = the same }
        Assert.Equal("0a0faa060c0a016311000000000000f83f", Convert.ToHexString(loopback.Responses[^1]).ToLowerInvariant());

        // Google.Protobuf's own reader, field by field.
        var request = new CodedInputStream(loopback.Requests[^1]);
        Assert.Equal(WireFormat.MakeTag(1, WireFormat.WireType.LengthDelimited), request.ReadTag());
        var shape = new CodedInputStream(request.ReadBytes().ToByteArray());
        Assert.Equal(WireFormat.MakeTag(101, WireFormat.WireType.LengthDelimited), shape.ReadTag());
        var circle = new CodedInputStream(shape.ReadBytes().ToByteArray());
        Assert.True(shape.IsAtEnd);
        Assert.Equal(WireFormat.MakeTag(1, WireFormat.WireType.LengthDelimited), circle.ReadTag());
        Assert.Equal("c", circle.ReadString());
        Assert.Equal(WireFormat.MakeTag(2, WireFormat.WireType.Fixed64), circle.ReadTag());
        Assert.Equal(1.5, circle.ReadDouble());
        Assert.True(circle.IsAtEnd);

        // The concrete base itself: case 100 (LabelValue).
        Assert.Equal(new Label("x"), await shapes.LabelAsync(new Label("x")));
        Assert.Equal("0a06a206030a0178", Convert.ToHexString(loopback.Requests[^1]).ToLowerInvariant());   // LabelRequest { label = Label { label (100) = LabelValue { text = "x" } } }

        // What Google.Protobuf writes, our reader reads: Shape { square (102) = Square { side (2) = 4; name (1) = "q" } }.
        var square = new MemoryStream();
        var sw = new CodedOutputStream(square);
        sw.WriteTag(2, WireFormat.WireType.Fixed64);
        sw.WriteDouble(4);
        sw.WriteTag(1, WireFormat.WireType.LengthDelimited);
        sw.WriteString("q");
        sw.Flush();
        loopback.NextRequest = Wrap(1, Wrap(102, square.ToArray()));
        Assert.Equal(new Square("q", 4), await shapes.EchoAsync(ShapesSamples.Circle));
    }

    private static byte[] Wrap(int field, byte[] message)
    {
        var stream = new MemoryStream();
        var w = new CodedOutputStream(stream);
        w.WriteTag(field, WireFormat.WireType.LengthDelimited);
        w.WriteBytes(ByteString.CopyFrom(message));
        w.Flush();
        return stream.ToArray();
    }

    [Fact]
    public async Task Protoc_reads_our_bytes_against_the_export()
    {
        var loopback = new ProtobufLoopback(new RpcHandlerTable().AddContract<IShapes>(new ShapesService()));
        IShapes shapes = loopback.GetClient<IShapes>();
        await shapes.CanvasAsync(new Canvas(ShapesSamples.Group, ShapesSamples.Square, [new Label("plain"), new BoldLabel("loud", 700)]));
        byte[] canvas = loopback.Requests[^1];

        ProtoFile file = ProtoExporter.Export(D);
        string dir = Directory.CreateTempSubdirectory("proto-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, file.FileName), file.Text);
            (int code, string output) = Protoc(dir, canvas, "--proto_path=" + dir, "--proto_path=/usr/include", $"--decode={file.Package}.CanvasRequest", file.FileName);
            Assert.True(code == 0, output);
            string text = string.Join("\n", output.ReplaceLineEndings("\n").Split('\n').Select(l => l.TrimStart()));
            Assert.Contains("canvas {\nbackground {\ngroup {\nname: \"g\"\nmembers {\ncircle {\nname: \"inner\"\nradius: 0.5\n}\n}\nmembers {\ngroup {\nname: \"empty\"\n}\n}\n}\n}", text);
            Assert.Contains("highlight {\nsquare {\nname: \"s\"\nside: 2\n}\n}", text);
            Assert.Contains("labels {\nlabel {\ntext: \"plain\"\n}\n}\nlabels {\nbold {\ntext: \"loud\"\nweight: 700\n}\n}", text);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Python_protobuf_reads_our_oneofs_and_writes_one_we_read()
    {
        // Debian's python3-protobuf (scripts/test.sh installs it) with the module protoc makes from the export.
        var loopback = new ProtobufLoopback(new RpcHandlerTable().AddContract<IShapes>(new ShapesService()));
        IShapes shapes = loopback.GetClient<IShapes>();
        await shapes.CanvasAsync(new Canvas(ShapesSamples.Group, ShapesSamples.Square, [new Label("plain"), new BoldLabel("loud", 700)]));

        ProtoFile file = ProtoExporter.Export(D);
        string dir = Directory.CreateTempSubdirectory("proto-py-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, file.FileName), file.Text);
            (int code, string output) = Protoc(dir, null, "--proto_path=" + dir, "--python_out=" + dir, file.FileName);
            Assert.True(code == 0, output);
            File.WriteAllBytes(Path.Combine(dir, "canvas.bin"), loopback.Requests[^1]);
            File.WriteAllText(Path.Combine(dir, "check.py"), """
                import json, sys
                sys.path.insert(0, sys.argv[1])
                import shapes_pb2 as pb
                req = pb.CanvasRequest()
                req.ParseFromString(open(sys.argv[1] + "/canvas.bin", "rb").read())
                c = req.canvas
                print(json.dumps({
                    "background": c.background.WhichOneof("variant"),
                    "members": [m.WhichOneof("variant") for m in c.background.group.members],
                    "inner": c.background.group.members[0].circle.radius,
                    "highlight": c.highlight.square.side,
                    "labels": [l.WhichOneof("variant") for l in c.labels],
                    "plain": c.labels[0].label.text,
                    "weight": c.labels[1].bold.weight,
                }, sort_keys=True))
                echo = pb.EchoRequest()
                echo.shape.square.name = "py"
                echo.shape.square.side = 3.5
                open(sys.argv[1] + "/echo.bin", "wb").write(echo.SerializeToString())
                """);
            var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
            psi.ArgumentList.Add(Path.Combine(dir, "check.py"));
            psi.ArgumentList.Add(dir);
            using Process p = Process.Start(psi)!;
            string stdout = await p.StandardOutput.ReadToEndAsync();
            string stderr = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 0, stderr);
            Assert.Equal("""{"background": "group", "highlight": 2.0, "inner": 0.5, "labels": ["label", "bold"], "members": ["circle", "group"], "plain": "plain", "weight": 700}""",
                stdout.Trim());

            loopback.NextRequest = File.ReadAllBytes(Path.Combine(dir, "echo.bin"));
            Assert.Equal(new Square("py", 3.5), await shapes.EchoAsync(ShapesSamples.Circle));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task An_unknown_or_missing_case_and_an_undeclared_derived_instance_are_refused_naming_them()
    {
        var loopback = new ProtobufLoopback(new RpcHandlerTable().AddContract<IShapes>(new ShapesService(name => new Triangle(name))));
        IShapes shapes = loopback.GetClient<IShapes>();

        // A newer writer's case (field 120) that this side does not declare.
        loopback.NextRequest = Wrap(1, Wrap(120, []));
        var unknown = await Assert.ThrowsAnyAsync<Exception>(() => shapes.EchoAsync(ShapesSamples.Circle));
        Assert.Contains("the type discriminator 'oneof field 120' names no type derived from SidecarKit.Tests.Support.Shape", unknown.ToString());

        // No case at all: an empty Shape.
        loopback.NextRequest = Wrap(1, []);
        var missing = await Assert.ThrowsAnyAsync<Exception>(() => shapes.EchoAsync(ShapesSamples.Circle));
        Assert.Contains("SidecarKit.Tests.Support.Shape: the value has no type discriminator", missing.ToString());

        var sent = await Assert.ThrowsAsync<WireFormatException>(() => shapes.EchoAsync(new Triangle("t")));
        Assert.Contains("an instance of 'Triangle', a type derived from it, cannot be sent", sent.Message);
        var answered = await Assert.ThrowsAnyAsync<Exception>(() => shapes.MakeAsync("t"));
        Assert.Contains("an instance of 'Triangle', a type derived from it, cannot be sent", answered.ToString());
    }

    private static (int Code, string Output) Protoc(string dir, byte[]? input, params string[] args)
    {
        var psi = new ProcessStartInfo("protoc") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, WorkingDirectory = dir };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        if (input is not null) p.StandardInput.BaseStream.Write(input);
        p.StandardInput.Close();
        string output = p.StandardOutput.ReadToEnd();
        string errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + errors);
    }
}
