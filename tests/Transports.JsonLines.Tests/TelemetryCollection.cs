using SidecarKit.Tests.Support;

namespace SidecarKit.Transports.JsonLines.Tests;

/// <summary>The tests that listen to SidecarKit's spans and metrics run alone: see <see cref="TelemetryCapture.Collection"/>.</summary>
[CollectionDefinition(TelemetryCapture.Collection, DisableParallelization = true)]
public sealed class TelemetryCollection;
