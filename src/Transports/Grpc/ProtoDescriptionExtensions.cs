using SidecarKit.Hosting;
using SidecarKit.Transports.Grpc.Proto;

namespace SidecarKit.Transports.Grpc;

/// <summary>Registers the Protocol Buffers description of the served contracts with the sidecar host.</summary>
public static class ProtoDescriptionExtensions
{
    /// <summary>
    /// Makes <c>--describe proto</c> available: the served contracts as proto3 files (see <see cref="ProtoExporter"/>),
    /// printed on stdout; with <c>--output &lt;dir&gt;</c>, every file written there: the served contracts, the callback
    /// contracts the sidecar calls on its parent and, when there are some, the service that carries them
    /// (<c>sidecarkit_callbacks.proto</c>, docs/grpc.md, "Callbacks").
    /// </summary>
    public static SidecarHostBuilder AddProtoDescription(this SidecarHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddDescriptionFormat("proto", ProtoExporter.ExportAll)
            .AddDescriptionFiles("proto", (contracts, callbacks) =>
            [
                .. contracts.Concat(callbacks).Select(c => ProtoExporter.Export(c)).Concat(callbacks.Count > 0 ? [ProtoExporter.Callbacks] : [])
                    .Select(f => new SidecarDescriptionFile(f.FileName, f.Text)),
            ]);
    }
}
