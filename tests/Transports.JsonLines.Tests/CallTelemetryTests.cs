using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>Spans, trace context (<c>params._meta</c>) and metrics of JSON-RPC calls.</summary>
[Collection(TelemetryCapture.Collection)]
public class CallTelemetryTests() : CallTelemetryChecks(() => new JsonRpcProtocol(), "jsonrpc");
