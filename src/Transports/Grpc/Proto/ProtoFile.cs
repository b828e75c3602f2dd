namespace SidecarKit.Transports.Grpc.Proto;

/// <summary>One contract as a Protocol Buffers (proto3) file.</summary>
/// <param name="FileName">A file name for it, such as <c>demo.proto</c>.</param>
/// <param name="Package">Its package, such as <c>sidecarkit.demo</c>.</param>
/// <param name="Service">Its service's name, such as <c>Demo</c>; the full name is <c>Package.Service</c>.</param>
/// <param name="Text">The file's text.</param>
public sealed record ProtoFile(string FileName, string Package, string Service, string Text)
{
    /// <summary>The declarations the text was printed from (server reflection encodes them as descriptors).</summary>
    internal ProtoFileModel? Model { get; init; }
}
