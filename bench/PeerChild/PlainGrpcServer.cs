using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SidecarKit.Benchmarks.Peers.Plain;

namespace SidecarKit.Benchmarks.Peers;

/// <summary>
/// demo.add as a plain grpc-dotnet service: <c>AddGrpc()</c>, <c>MapGrpcService</c>, the protoc-generated base class and
/// messages, Kestrel on h2c. What a grpc-dotnet user writes; the baseline of SidecarKit's typed gRPC demo.add.
/// </summary>
internal static class PlainGrpcServer
{
    public static async Task ServeAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        // Warnings only: the default Information level logs two lines per request, which would be timed too.
        builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
        // Same limit as SidecarKit's gRPC server (GrpcServerOptions.MaxConcurrentStreams), so 64 calls never queue.
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 256;
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddGrpc();
        await using WebApplication app = builder.Build();
        app.MapGrpcService<PlainDemoService>();
        await app.StartAsync();

        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.Error.WriteLine("listening " + new Uri(address).Authority);
        await StandardInputEnd.WaitAsync();
        await app.StopAsync();
    }

    private sealed class PlainDemoService : Demo.DemoBase
    {
        public override Task<AddResponse> Add(AddRequest request, ServerCallContext context) =>
            Task.FromResult(new AddResponse { Result = checked(request.A + request.B) });
    }
}
