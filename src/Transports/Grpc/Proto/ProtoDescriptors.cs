using SidecarKit.Transports.Grpc.Protobuf;

namespace SidecarKit.Transports.Grpc.Proto;

/// <summary>
/// Encodes a <see cref="ProtoFileModel"/> as the <c>google.protobuf.FileDescriptorProto</c> protoc would produce from
/// its text (the tests compare the two), for server reflection. Also the files the exported ones import, and
/// <c>grpc/health/v1/health.proto</c>, as models: reflection clients ask for them by name.
/// </summary>
internal static class ProtoDescriptors
{
    // FieldDescriptorProto.Type and .Label
    private const int TypeMessage = 11, TypeEnum = 14;
    private const int LabelOptional = 1, LabelRepeated = 3;

    private static readonly Dictionary<string, int> s_scalars = new(StringComparer.Ordinal)
    {
        ["double"] = 1, ["float"] = 2, ["int64"] = 3, ["uint64"] = 4, ["int32"] = 5, ["fixed64"] = 6, ["fixed32"] = 7,
        ["bool"] = 8, ["string"] = 9, ["bytes"] = 12, ["uint32"] = 13, ["sfixed32"] = 15, ["sfixed64"] = 16,
        ["sint32"] = 17, ["sint64"] = 18,
    };

    /// <summary>The well-known types' files the exporter may import, as their declarations (options left out).</summary>
    public static IReadOnlyList<ProtoFileModel> WellKnown { get; } =
    [
        new("google/protobuf/empty.proto", "google.protobuf", [], [], [new ProtoMessageDecl("Empty", [])]),
        new("google/protobuf/timestamp.proto", "google.protobuf", [], [], [new ProtoMessageDecl("Timestamp",
            [new(ProtoLabel.Singular, "int64", "seconds", 1), new(ProtoLabel.Singular, "int32", "nanos", 2)])]),
        new("google/protobuf/duration.proto", "google.protobuf", [], [], [new ProtoMessageDecl("Duration",
            [new(ProtoLabel.Singular, "int64", "seconds", 1), new(ProtoLabel.Singular, "int32", "nanos", 2)])]),
    ];

    /// <summary>grpc.health.v1 as the server implements it (Check and Watch).</summary>
    public static ProtoFileModel Health { get; } = new("grpc/health/v1/health.proto", "grpc.health.v1", [],
        [new ProtoServiceDecl("Health",
        [
            new ProtoRpcDecl("Check", "HealthCheckRequest", "HealthCheckResponse", ServerStreaming: false),
            new ProtoRpcDecl("Watch", "HealthCheckRequest", "HealthCheckResponse", ServerStreaming: true),
        ])],
        [
            new ProtoMessageDecl("HealthCheckRequest", [new(ProtoLabel.Singular, "string", "service", 1)]),
            new ProtoMessageDecl("HealthCheckResponse", [new(ProtoLabel.Singular, "ServingStatus", "status", 1)],
                [new ProtoEnumDecl("ServingStatus", [new("UNKNOWN", 0), new("SERVING", 1), new("NOT_SERVING", 2), new("SERVICE_UNKNOWN", 3)])]),
        ]);

    /// <summary>The file's <c>FileDescriptorProto</c> bytes.</summary>
    public static byte[] Encode(ProtoFileModel file)
    {
        var proto = new ProtoBuilder().String(1, file.FileName).String(2, file.Package);
        foreach (string import in file.Imports) proto.String(3, import);
        foreach (ProtoMessageDecl message in file.Messages) proto.Message(4, Message(file, message));
        foreach (ProtoServiceDecl service in file.Services)
        {
            var s = new ProtoBuilder().String(1, service.Name);
            foreach (ProtoRpcDecl rpc in service.Rpcs)
            {
                var m = new ProtoBuilder().String(1, rpc.Name).String(2, Resolve(file, null, rpc.Request).Name).String(3, Resolve(file, null, rpc.Response).Name);
                if (rpc.ClientStreaming) m.Bool(5, true);
                if (rpc.ServerStreaming) m.Bool(6, true);
                s.Message(2, m);
            }
            proto.Message(6, s);
        }
        return proto.String(12, "proto3").ToArray();
    }

    /// <summary>Every full name a file declares (its services, their methods, its messages and enums), for <c>file_containing_symbol</c>.</summary>
    public static IEnumerable<string> Symbols(ProtoFileModel file)
    {
        string prefix = file.Package.Length == 0 ? "" : file.Package + ".";
        foreach (ProtoServiceDecl service in file.Services)
        {
            yield return prefix + service.Name;
            foreach (ProtoRpcDecl rpc in service.Rpcs) yield return prefix + service.Name + "." + rpc.Name;
        }
        foreach (ProtoMessageDecl message in file.Messages)
        {
            yield return prefix + message.Name;
            foreach (ProtoEnumDecl e in message.Enums ?? []) yield return prefix + message.Name + "." + e.Name;
        }
    }

    private static ProtoBuilder Message(ProtoFileModel file, ProtoMessageDecl message)
    {
        var proto = new ProtoBuilder().String(1, message.Name);
        var entries = new List<ProtoBuilder>();
        var oneofs = new List<string>();
        if (message.Oneof is { } variant) oneofs.Add(variant);   // a polymorphic base: every field is a case of it (index 0)
        foreach (ProtoFieldDecl field in message.Fields)
        {
            var f = new ProtoBuilder().String(1, field.Name).Int(3, field.Number);
            (string typeName, int type) = Resolve(file, message, field.Type);
            switch (field.Label)
            {
                case ProtoLabel.Map:
                    // map<K, V> name = n; is protoc's `repeated NameEntry name = n;` with a nested entry message.
                    string entry = MapEntryName(field.Name);
                    f.Int(4, LabelRepeated).Int(5, TypeMessage).String(6, "." + file.Package + "." + message.Name + "." + entry);
                    var entryFields = new ProtoBuilder().String(1, entry)
                        .Message(2, new ProtoBuilder().String(1, "key").Int(3, 1).Int(4, LabelOptional).Int(5, s_scalars[field.KeyType]).String(10, "key"))
                        .Message(2, Typed(new ProtoBuilder().String(1, "value").Int(3, 2).Int(4, LabelOptional), typeName, type).String(10, "value"))
                        .Message(7, new ProtoBuilder().Bool(7, true));   // MessageOptions.map_entry
                    entries.Add(entryFields);
                    break;
                case ProtoLabel.Repeated:
                    Typed(f.Int(4, LabelRepeated), typeName, type);
                    break;
                default:
                    Typed(f.Int(4, LabelOptional), typeName, type);
                    break;
            }
            if (field.Label == ProtoLabel.Optional) f.Int(9, oneofs.Count);   // proto3 optional: a synthetic oneof of its own
            else if (message.Oneof is not null) f.Int(9, 0);
            f.String(10, JsonName(field.Name));
            if (field.Label == ProtoLabel.Optional)
            {
                f.Bool(17, true);
                oneofs.Add("_" + field.Name);
            }
            proto.Message(2, f);
        }
        foreach (ProtoBuilder entry in entries) proto.Message(3, entry);
        foreach (ProtoEnumDecl e in message.Enums ?? [])
        {
            var en = new ProtoBuilder().String(1, e.Name);
            foreach ((string name, int number) in e.Values) en.Message(2, new ProtoBuilder().String(1, name).Int(2, number));
            proto.Message(4, en);
        }
        foreach (string oneof in oneofs) proto.Message(8, new ProtoBuilder().String(1, oneof));
        // reserved n; is a ReservedRange [n, n + 1), as protoc writes it.
        foreach (int n in message.Reserved ?? []) proto.Message(9, new ProtoBuilder().Int(1, n).Int(2, n + 1));
        return proto;
    }

    private static ProtoBuilder Typed(ProtoBuilder field, string typeName, int type)
    {
        field.Int(5, type);
        return type is TypeMessage or TypeEnum ? field.String(6, typeName) : field;
    }

    // A scalar keyword, a well-known type's full name, or a message or enum of this file (an enum nested in the
    // message that uses it may be named without the message).
    private static (string Name, int Type) Resolve(ProtoFileModel file, ProtoMessageDecl? scope, string type)
    {
        if (s_scalars.TryGetValue(type, out int scalar)) return (type, scalar);
        if (type.StartsWith("google.protobuf.", StringComparison.Ordinal)) return ("." + type, TypeMessage);
        if (scope?.Enums?.Any(e => e.Name == type) == true) return ("." + file.Package + "." + scope.Name + "." + type, TypeEnum);
        foreach (ProtoMessageDecl message in file.Messages)
        {
            if (message.Name == type) return ("." + file.Package + "." + type, TypeMessage);
            if (message.Enums?.Any(e => message.Name + "." + e.Name == type) == true) return ("." + file.Package + "." + type, TypeEnum);
        }
        throw new FormatException($"'{type}' is not declared in {file.FileName}.");
    }

    // protoc's names: a map field's entry message (ToCamelCase + "Entry") and a field's json_name (lowerCamelCase).
    internal static string MapEntryName(string field)
    {
        var sb = new System.Text.StringBuilder(field.Length + 5);
        bool upper = true;
        foreach (char c in field)
        {
            if (c == '_') upper = true;
            else if (upper) { sb.Append(c is >= 'a' and <= 'z' ? (char)(c - 'a' + 'A') : c); upper = false; }
            else sb.Append(c);
        }
        return sb.Append("Entry").ToString();
    }

    internal static string JsonName(string field)
    {
        var sb = new System.Text.StringBuilder(field.Length);
        bool upper = false;
        foreach (char c in field)
        {
            if (c == '_') upper = true;
            else if (upper) { sb.Append(c is >= 'a' and <= 'z' ? (char)(c - 'a' + 'A') : c); upper = false; }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
