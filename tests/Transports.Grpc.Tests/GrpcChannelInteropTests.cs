using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SidecarKit.Processes;
using SidecarKit.Rpc;
using SidecarKit.Samples.Demo;

namespace SidecarKit.Transports.Grpc.Tests;

/// <summary>
/// The generated proxy on grpc-dotnet channels the application configured: a plain <see cref="GrpcChannel"/> with a
/// user interceptor (which brings the token itself), deadlines set by an interceptor or the caller's scope, the
/// channel's retry policy, and <c>Grpc.Net.ClientFactory</c> through dependency injection; all against the real demo sidecar.
/// </summary>
public class GrpcChannelInteropTests(GrpcSidecarFixture fixture) : IClassFixture<GrpcSidecarFixture>
{
    private string Url => "http://" + fixture.Address;

    [Fact]
    public async Task The_proxy_calls_through_a_plain_GrpcChannel_and_a_user_interceptor()
    {
        using GrpcChannel grpc = GrpcChannel.ForAddress(Url);
        var interceptor = new RecordingInterceptor(GrpcSidecarFixture.Token);
        IDemo demo = grpc.Intercept(interceptor).GetSidecarClient<IDemo>();

        Assert.Equal(5, await demo.AddAsync(2, 3));
        var person = new Person("Ada", 36, ["math"], null, DateTimeOffset.UnixEpoch);
        Assert.Equivalent(person, await demo.EchoAsync(person), strict: true);
        Assert.Equal([1, 2, 3], await demo.CountAsync(3).ToListAsync());
        var divide = await Assert.ThrowsAsync<GrpcStatusException>(() => demo.DivideAsync(1, 0));
        Assert.Equal((GrpcStatusCode.Unknown, -32010, "division by zero", "demo.divide"), (divide.Status, divide.Code, divide.Message, divide.Method));
        string marker = "through-an-interceptor-" + Guid.NewGuid().ToString("N");
        demo.Log(marker);
        await GrpcSidecarTests.WaitForAsync(() => fixture.Sidecar.StderrTail.Any(l => l.Contains(marker)));

        // The interceptor saw every call. The default budget of a unary call is kept by the channel (LocalDeadlines),
        // not sent: no deadline here, as for a stream; a chosen one is sent (the test below).
        Assert.Equal(["Add", "Echo", "Count", "Divide", "Log"], interceptor.Calls.Select(c => c.Method.Split('/')[^1]).Take(5).ToArray());
        Assert.All(interceptor.Calls, c => Assert.StartsWith("/sidecarkit.demo.Demo/", c.Method));
        Assert.Null(interceptor.Calls.Single(c => c.Method.EndsWith("/Add")).Deadline);
        Assert.Null(interceptor.Calls.Single(c => c.Method.EndsWith("/Count")).Deadline);
        using (SidecarCall.WithTimeout(TimeSpan.FromSeconds(20)))
            Assert.Equal(3, await demo.AddAsync(1, 2));
        DateTime sent = Assert.IsType<DateTime>(interceptor.Calls.Last().Deadline);
        Assert.InRange(sent, DateTime.UtcNow, DateTime.UtcNow.AddSeconds(21));

        // The token came from the interceptor alone: the same channel without it is refused.
        var refused = await Assert.ThrowsAsync<GrpcStatusException>(() => grpc.GetSidecarClient<IDemo>().AddAsync(1, 2));
        Assert.Equal(GrpcStatusCode.Unauthenticated, refused.Status);
    }

    [Fact]
    public async Task The_default_timeout_is_kept_by_the_channel_and_still_cancels_the_call_in_the_sidecar()
    {
        using GrpcChannel grpc = GrpcChannel.ForAddress(Url);
        var interceptor = new RecordingInterceptor(GrpcSidecarFixture.Token);
        IDemo demo = grpc.Intercept(interceptor).GetSidecarClient<IDemo>(new GrpcClientOptions { DefaultCallTimeout = TimeSpan.FromMilliseconds(300) });
        var timeout = await Assert.ThrowsAsync<SidecarTimeoutException>(() => demo.SleepAsync(60_000));
        Assert.Equal(("demo.sleep", TimeSpan.FromMilliseconds(300)), (timeout.Method, timeout.Timeout));
        Assert.Null(interceptor.Calls.Single().Deadline);   // not sent: the channel's sweep ended it
        // The cancellation reached the sidecar (a reset stream): nothing is left running there.
        await GrpcSidecarTests.WaitForAsync(async () => (await fixture.Sidecar.PingAsync()).ActiveRequests == 0);
        // The caller's own token still cancels as a cancellation, not a timeout, under the same default.
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => demo.SleepAsync(60_000, cancel.Token));
        Assert.Equal(7, await demo.AddAsync(3, 4));
    }

    [Fact]
    public async Task A_deadline_set_by_an_interceptor_or_the_callers_scope_ends_the_call()
    {
        using GrpcChannel grpc = GrpcChannel.ForAddress(Url);
        // The interceptor shortens the deadline of demo.sleep only.
        var interceptor = new RecordingInterceptor(GrpcSidecarFixture.Token)
        {
            Deadline = method => method.EndsWith("/Sleep") ? DateTime.UtcNow.AddMilliseconds(300) : null,
        };
        IDemo demo = grpc.Intercept(interceptor).GetSidecarClient<IDemo>();
        var cut = await Assert.ThrowsAsync<SidecarTimeoutException>(() => demo.SleepAsync(60_000));
        Assert.Equal("demo.sleep", cut.Method);
        Assert.Equal(7, await demo.AddAsync(3, 4));

        // SidecarCall.WithTimeout on a channel over the application's invoker: the call's CallOptions.Deadline.
        IDemo plain = grpc.CreateCallInvoker().GetSidecarClient<IDemo>(new GrpcClientOptions { Token = GrpcSidecarFixture.Token });
        using (SidecarCall.WithTimeout(TimeSpan.FromMilliseconds(300)))
        {
            var timeout = await Assert.ThrowsAsync<SidecarTimeoutException>(() => plain.SleepAsync(60_000));
            Assert.Equal(TimeSpan.FromMilliseconds(300), timeout.Timeout);
        }
        // Both sleeps were cancelled in the sidecar by the deadline: nothing is left running there.
        await GrpcSidecarTests.WaitForAsync(async () => (await fixture.Sidecar.PingAsync()).ActiveRequests == 0);
    }

    [Fact]
    public async Task The_channels_retry_policy_retries_the_proxys_calls()
    {
        var counting = new CountingHandler(new SocketsHttpHandler());
        var retry = new MethodConfig
        {
            Names = { new MethodName { Service = "sidecarkit.demo.Demo", Method = "Divide" } },
            RetryPolicy = new RetryPolicy
            {
                MaxAttempts = 3,
                InitialBackoff = TimeSpan.FromMilliseconds(10),
                MaxBackoff = TimeSpan.FromMilliseconds(50),
                BackoffMultiplier = 1,
                RetryableStatusCodes = { StatusCode.Unknown },   // the status of an application's own error code
            },
        };
        using GrpcChannel grpc = GrpcChannel.ForAddress(Url, new GrpcChannelOptions
        {
            HttpHandler = counting,
            ServiceConfig = new ServiceConfig { MethodConfigs = { retry } },
        });
        IDemo demo = grpc.GetSidecarClient<IDemo>(new GrpcClientOptions { Token = GrpcSidecarFixture.Token });

        var divide = await Assert.ThrowsAsync<GrpcStatusException>(() => demo.DivideAsync(1, 0));
        Assert.Equal((GrpcStatusCode.Unknown, -32010), (divide.Status, divide.Code));
        Assert.Equal(3, counting.Count("/sidecarkit.demo.Demo/Divide"));   // the policy's three attempts
        Assert.Equal(2.5, await demo.DivideAsync(5, 2));
        Assert.Equal(4, counting.Count("/sidecarkit.demo.Demo/Divide"));   // a success is not retried
        Assert.Equal(3, await demo.AddAsync(1, 2));
        Assert.Equal(1, counting.Count("/sidecarkit.demo.Demo/Add"));      // nor is a method without the policy
    }

    [Fact]
    public async Task A_supervised_sidecars_channel_takes_interceptors_and_channel_settings()
    {
        // UseGrpc(client): the process's own channel with the application's interceptor and a retry policy, its HTTP
        // handler wrapped to count the attempts.
        var interceptor = new RecordingInterceptor(token: null);   // the process options bring the token
        CountingHandler? counting = null;
        var client = new GrpcClientOptions
        {
            Interceptors = { interceptor },
            ConfigureChannel = o =>
            {
                o.HttpHandler = counting = new CountingHandler(o.HttpHandler!);
                o.ServiceConfig = new ServiceConfig
                {
                    MethodConfigs =
                    {
                        new MethodConfig
                        {
                            Names = { new MethodName { Service = "sidecarkit.demo.Demo", Method = "Divide" } },
                            RetryPolicy = new RetryPolicy
                            {
                                MaxAttempts = 2, InitialBackoff = TimeSpan.FromMilliseconds(10), MaxBackoff = TimeSpan.FromMilliseconds(10),
                                BackoffMultiplier = 1, RetryableStatusCodes = { StatusCode.Unknown },
                            },
                        },
                    },
                };
            },
        };
        SidecarProcessOptions options = GrpcSidecarTests.Options("grpc").UseGrpc(client);
        await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
        IDemo demo = sidecar.GetClient<IDemo>();
        Assert.Equal(5, await demo.AddAsync(2, 3));
        var divide = await Assert.ThrowsAsync<GrpcStatusException>(() => demo.DivideAsync(1, 0));
        Assert.Equal(-32010, divide.Code);
        Assert.Equal(2, counting!.Count("/sidecarkit.demo.Demo/Divide"));
        Assert.Equal(["Add", "Divide"], interceptor.Calls.Select(c => c.Method.Split('/')[^1]).ToArray());
        Assert.Equal(0, await sidecar.StopAsync());
    }

    [Fact]
    public async Task The_proxy_resolves_from_Grpc_Net_ClientFactory()
    {
        // By address, with the factory's own interceptor registration bringing the token.
        var services = new ServiceCollection();
        var interceptor = new RecordingInterceptor(GrpcSidecarFixture.Token);
        services.AddSidecarGrpcClient<IDemo>(o => o.Address = new Uri(Url)).AddInterceptor(() => interceptor);
        await using (ServiceProvider provider = services.BuildServiceProvider())
        {
            IDemo demo = provider.GetRequiredService<IDemo>();
            Assert.Equal(5, await demo.AddAsync(2, 3));
            Assert.Equal([1, 2], await demo.CountAsync(2).ToListAsync());
            var divide = await Assert.ThrowsAsync<GrpcStatusException>(() => demo.DivideAsync(1, 0));
            Assert.Equal(-32010, divide.Code);
            Assert.Equal(["Add", "Count", "Divide"], interceptor.Calls.Select(c => c.Method.Split('/')[^1]).ToArray());
        }

        // By listenInfo, a Unix socket: the factory's handler reaches it, and the token comes from the options.
        SidecarProcessOptions options = GrpcSidecarTests.Options("grpc-unix");
        options.Environment["SIDECAR_TOKEN"] = GrpcSidecarFixture.Token;
        await using SidecarProcess unix = await SidecarProcess.StartAsync(options);
        var byListenInfo = new ServiceCollection();
        byListenInfo.AddSidecarGrpcClient<IDemo>(unix.ReadyInfo.ListenInfo!, o => o.Token = GrpcSidecarFixture.Token);
        await using (ServiceProvider provider = byListenInfo.BuildServiceProvider())
        {
            IDemo demo = provider.GetRequiredService<IDemo>();
            Assert.Equal(9, await demo.AddAsync(4, 5));
            Assert.Equal(1 << 16, (await demo.BlobAsync(1 << 16)).Length);
            // The factory's pipeline coalesces a client stream's request body (CoalescingRequestHandler) and loses nothing.
            Assert.Equal(5_000L * 7, await demo.SumAsync(SidecarKit.Tests.Support.AsyncItems.Of(Enumerable.Repeat(7, 5_000).ToArray())));
            byte[] upload = new byte[3 * 65536 + 5];
            Random.Shared.NextBytes(upload);
            Assert.Equal(upload.Length + ":" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(upload)),
                await demo.UploadAsync(new MemoryStream(upload)));
        }
        // Callbacks keep a subscription open, which a factory-made client never disposes: refused.
        var withCallbacks = new ServiceCollection();
        Assert.Throws<ArgumentException>(() => withCallbacks.AddSidecarGrpcClient<IDemo>(unix.ReadyInfo.ListenInfo!,
            o => o.Callbacks = new RpcHandlerTable().AddContract<IDemoEvents>(new NoEvents())));
    }

    private sealed class NoEvents : IDemoEvents
    {
        public void Progress(string task, int percent) { }

        public Task<bool> ConfirmAsync(string question, CancellationToken ct) => Task.FromResult(true);
    }

    /// <summary>Records each call's method and deadline, adds the bearer token (if given), and may set a deadline of its own.</summary>
    private sealed class RecordingInterceptor(string? token) : Interceptor
    {
        private readonly ConcurrentQueue<(string Method, DateTime? Deadline)> _calls = new();

        public Func<string, DateTime?>? Deadline { get; init; }

        public IReadOnlyList<(string Method, DateTime? Deadline)> Calls => [.. _calls];

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request,
            ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
            => continuation(request, Adjust(context));

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(TRequest request,
            ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
            => continuation(request, Adjust(context));

        private ClientInterceptorContext<TRequest, TResponse> Adjust<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
            where TRequest : class where TResponse : class
        {
            _calls.Enqueue((context.Method.FullName, context.Options.Deadline));
            CallOptions options = context.Options;
            if (token is not null)
            {
                Metadata headers = options.Headers ?? [];
                headers.Add("authorization", "Bearer " + token);
                options = options.WithHeaders(headers);
            }
            if (Deadline?.Invoke(context.Method.FullName) is { } deadline) options = options.WithDeadline(deadline);
            return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, options);
        }
    }

    /// <summary>Counts the HTTP requests (gRPC attempts) per path under the channel.</summary>
    private sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly ConcurrentDictionary<string, int> _counts = new();

        public int Count(string path) => _counts.GetValueOrDefault(path);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            _counts.AddOrUpdate(request.RequestUri!.AbsolutePath, 1, (_, n) => n + 1);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
