using SidecarKit.Transports.Grpc.Proto;
using SidecarKit.Transports.Grpc.Protobuf;
using SidecarKit.Wire;

namespace SidecarKit.Transports.Grpc.Server;

/// <summary>
/// gRPC server reflection (<c>grpc.reflection.v1</c> and <c>v1alpha</c>, the same messages): lists the contracts'
/// services and <c>grpc.health.v1.Health</c>, and answers with the <c>FileDescriptorProto</c>s of the exported files,
/// so that grpcurl, Postman and other tools call a sidecar without its <c>.proto</c>. Each answer carries the file
/// asked for and everything it imports, as other servers do.
/// </summary>
internal sealed class ReflectionService
{
    public const string V1Path = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
    public const string V1AlphaPath = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

    // ErrorResponse.error_code takes gRPC status codes.
    private const int NotFound = (int)GrpcStatusCode.NotFound, InvalidArgument = (int)GrpcStatusCode.InvalidArgument;

    private readonly Dictionary<string, (byte[] Descriptor, IReadOnlyList<string> Imports)> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _fileOfSymbol = new(StringComparer.Ordinal);
    private readonly HashSet<string> _messages = new(StringComparer.Ordinal);
    private readonly List<string> _services = [];

    public ReflectionService(IEnumerable<ProtoFileModel> contractFiles)
    {
        foreach (ProtoFileModel file in ProtoDescriptors.WellKnown) Add(file, listed: false);
        Add(ProtoDescriptors.Health, listed: true);
        foreach (ProtoFileModel file in contractFiles) Add(file, listed: true);
    }

    private void Add(ProtoFileModel file, bool listed)
    {
        _files[file.FileName] = (ProtoDescriptors.Encode(file), file.Imports);
        foreach (string symbol in ProtoDescriptors.Symbols(file)) _fileOfSymbol.TryAdd(symbol, file.FileName);
        foreach (ProtoMessageDecl message in file.Messages) _messages.Add(file.Package + "." + message.Name);
        if (listed) foreach (ProtoServiceDecl service in file.Services) _services.Add(file.Package + "." + service.Name);
    }

    /// <summary>The <c>ServerReflectionResponse</c> to one <c>ServerReflectionRequest</c>.</summary>
    /// <exception cref="WireFormatException">The request does not decode.</exception>
    public byte[] Answer(ReadOnlySpan<byte> request)
    {
        Request r = Read(request);
        var response = new ProtoBuilder().String(1, r.Host).Bytes(2, request);
        if (r.FileByFilename is { } name)
        {
            if (_files.ContainsKey(name)) response.Message(4, Files(name));
            else response.Message(7, Error(NotFound, $"No file '{name}' here."));
        }
        else if (r.FileContainingSymbol is { } symbol)
        {
            if (_fileOfSymbol.TryGetValue(symbol, out string? file)) response.Message(4, Files(file));
            else response.Message(7, Error(NotFound, $"No symbol '{symbol}' here."));
        }
        else if (r.AllExtensionNumbersOfType is { } type)
        {
            // proto3 declares no extensions: a known message has none.
            if (_messages.Contains(type)) response.Message(5, new ProtoBuilder().String(1, type));
            else response.Message(7, Error(NotFound, $"No message '{type}' here."));
        }
        else if (r.FileContainingExtension)
        {
            response.Message(7, Error(NotFound, "These files declare no extensions (proto3)."));
        }
        else if (r.ListServices)
        {
            var list = new ProtoBuilder();
            foreach (string service in _services) list.Message(1, new ProtoBuilder().String(1, service));
            response.Message(6, list);
        }
        else
        {
            response.Message(7, Error(InvalidArgument, "The request asks for nothing this server knows."));
        }
        return response.ToArray();
    }

    // FileDescriptorResponse: the file, then what it imports (transitively), each once.
    private ProtoBuilder Files(string first)
    {
        var response = new ProtoBuilder();
        var sent = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>([first]);
        while (pending.TryDequeue(out string? name))
        {
            if (!sent.Add(name) || !_files.TryGetValue(name, out var file)) continue;
            response.Bytes(1, file.Descriptor);
            foreach (string import in file.Imports) pending.Enqueue(import);
        }
        return response;
    }

    private static ProtoBuilder Error(int code, string message) => new ProtoBuilder().Int(1, code).String(2, message);

    private readonly record struct Request(string? Host, string? FileByFilename, string? FileContainingSymbol,
        bool FileContainingExtension, string? AllExtensionNumbersOfType, bool ListServices);

    // ServerReflectionRequest { string host = 1; oneof { string file_by_filename = 3; string file_containing_symbol = 4;
    // ExtensionRequest file_containing_extension = 5; string all_extension_numbers_of_type = 6; string list_services = 7; } }
    // The oneof's members have presence (an empty list_services is still a request); the last one present wins.
    private static readonly WireMembers s_request = new("ServerReflectionRequest",
    [
        new Schema.WireField("host", Schema.WireType.Of(Schema.WireScalar.String), 1),
        new Schema.WireField("fileByFilename", OptionalString, 3),
        new Schema.WireField("fileContainingSymbol", OptionalString, 4),
        new Schema.WireField("fileContainingExtension", Schema.WireType.NullableOf(Schema.WireType.Of(Schema.WireScalar.Bytes)), 5),
        new Schema.WireField("allExtensionNumbersOfType", OptionalString, 6),
        new Schema.WireField("listServices", OptionalString, 7),
    ]);

    private static Schema.WireType OptionalString => Schema.WireType.NullableOf(Schema.WireType.Of(Schema.WireScalar.String));

    private static Request Read(ReadOnlySpan<byte> message)
    {
        var reader = new ProtobufReader(message);
        reader.ReadStartObject();
        int index = -1, which = -1;
        string? host = null, value = null;
        while (reader.ReadNextMember(s_request, ref index))
        {
            switch (index)
            {
                case 0: host = reader.ReadString(); break;
                case 3: which = 3; value = null; reader.Skip(); break;   // an ExtensionRequest: only that it was asked matters
                case > 0: which = index; value = reader.ReadString(); break;
                default: reader.Skip(); break;
            }
        }
        return new Request(host, which == 1 ? value : null, which == 2 ? value : null, which == 3, which == 4 ? value : null, which == 5);
    }
}
