namespace SidecarKit.Transports.Grpc.Proto;

/// <summary>
/// A proto3 file as declarations: what <see cref="ProtoExporter"/> prints as text and <see cref="ProtoDescriptors"/>
/// encodes as a <c>FileDescriptorProto</c> for server reflection, so that the two never disagree.
/// </summary>
internal sealed record ProtoFileModel(
    string FileName,
    string Package,
    IReadOnlyList<string> Imports,
    IReadOnlyList<ProtoServiceDecl> Services,
    IReadOnlyList<ProtoMessageDecl> Messages);

internal sealed record ProtoServiceDecl(string Name, IReadOnlyList<ProtoRpcDecl> Rpcs);

/// <summary>An rpc; <see cref="Request"/> and <see cref="Response"/> are type references as in <see cref="ProtoFieldDecl.Type"/>.</summary>
internal sealed record ProtoRpcDecl(string Name, string Request, string Response, bool ServerStreaming, bool ClientStreaming = false);

/// <summary>A message; with <see cref="Oneof"/>, every field is a case of that one <c>oneof</c> (a polymorphic base).</summary>
internal sealed record ProtoMessageDecl(string Name, IReadOnlyList<ProtoFieldDecl> Fields, IReadOnlyList<ProtoEnumDecl>? Enums = null,
    IReadOnlyList<int>? Reserved = null, string? Oneof = null);

internal sealed record ProtoEnumDecl(string Name, IReadOnlyList<KeyValuePair<string, int>> Values);

internal enum ProtoLabel : byte { Singular, Optional, Repeated, Map }

/// <summary>
/// One field. <see cref="Type"/> is a scalar keyword (<c>int32</c>, <c>string</c>, …), a message or enum of the same
/// file by its name (<c>Person</c>, <c>HealthCheckResponse.ServingStatus</c>), or a well-known type by its full name
/// (<c>google.protobuf.Timestamp</c>). A <see cref="ProtoLabel.Map"/> field is <c>map&lt;KeyType, Type&gt;</c>
/// (<see cref="KeyType"/> a string or integer keyword).
/// </summary>
internal sealed record ProtoFieldDecl(ProtoLabel Label, string Type, string Name, int Number, string KeyType = "string")
{
    /// <summary>The field as a line of the file's text.</summary>
    public override string ToString()
    {
        string number = Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Label switch
        {
            ProtoLabel.Optional => $"optional {Type} {Name} = {number};",
            ProtoLabel.Repeated => $"repeated {Type} {Name} = {number};",
            ProtoLabel.Map => $"map<{KeyType}, {Type}> {Name} = {number};",
            _ => $"{Type} {Name} = {number};",
        };
    }
}
