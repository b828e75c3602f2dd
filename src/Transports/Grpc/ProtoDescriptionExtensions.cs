using SidecarKit.Hosting;
using SidecarKit.Transports.Grpc.Proto;

namespace SidecarKit.Transports.Grpc;

/// <summary>Registers the Protocol Buffers description of the served contracts with the sidecar host.</summary>
public static class ProtoDescriptionExtensions
{
    /// <summary>Makes <c>--describe proto</c> available: the contracts as proto3 files (see <see cref="ProtoExporter"/>).</summary>
    public static SidecarHostBuilder AddProtoDescription(this SidecarHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddDescriptionFormat("proto", ProtoExporter.ExportAll);
    }
}
