using System.Text.Json.Serialization;

namespace SidecarKit.Transports.Grpc;

/// <summary>Source-generated JSON for the little this transport writes itself (error data), so nothing needs reflection.</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class GrpcJsonContext : JsonSerializerContext;
