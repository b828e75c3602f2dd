using SidecarKit;

namespace SidecarKit.Tests.Support;

/// <summary>The methods of the JSON-RPC 2.0 specification's examples, under the contract name "spec".</summary>
[SidecarContract("spec")]
public partial interface ISpec
{
    Task<int> SubtractAsync(int minuend, int subtrahend);
    void Update(int a, int b, int c, int d, int e);
    Task<int> SumAsync(int a, int b, int c);
    void NotifyHello(int value);
    Task<string> GreetAsync(string name, string? title = null);
    Task<int> SlowAsync(int milliseconds, CancellationToken ct = default);
}

public sealed class SpecService : ISpec
{
    public readonly List<string> Notifications = [];

    public Task<int> SubtractAsync(int minuend, int subtrahend) => Task.FromResult(minuend - subtrahend);
    public void Update(int a, int b, int c, int d, int e) { lock (Notifications) Notifications.Add($"update {a},{b},{c},{d},{e}"); }
    public Task<int> SumAsync(int a, int b, int c) => Task.FromResult(a + b + c);
    public void NotifyHello(int value) { lock (Notifications) Notifications.Add($"hello {value}"); }
    public Task<string> GreetAsync(string name, string? title) => Task.FromResult(title is null ? $"Hello, {name}" : $"Hello, {title} {name}");
    public async Task<int> SlowAsync(int milliseconds, CancellationToken ct) { await Task.Delay(milliseconds, ct); return milliseconds; }
}
