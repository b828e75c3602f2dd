using SidecarKit;

namespace SidecarKit.Tests.Support;

/// <summary>A contract of its own ("basic") that <see cref="IAdvancedOps"/> extends.</summary>
[SidecarContract("basic")]
public partial interface IBasicOps
{
    Task<string> PingAsync(string text, CancellationToken ct = default);
    IAsyncEnumerable<int> CountAsync(int count, CancellationToken ct = default);
}

/// <summary>A plain base interface: its methods follow the contract rules and join the derived contract.</summary>
public interface INotes
{
    void Note(string text);
}

/// <summary>
/// Contract inheritance end to end: IBasicOps' and INotes' methods are served as <c>advanced.*</c>, and disposing the
/// proxy (IAsyncDisposable) releases nothing and sends nothing.
/// </summary>
[SidecarContract("advanced")]
public partial interface IAdvancedOps : IBasicOps, INotes, IAsyncDisposable
{
    Task<int> AddAsync(int a, int b, CancellationToken ct = default);
}

public sealed class AdvancedOps : IAdvancedOps
{
    public readonly List<string> Notes = [];
    public int Disposed;

    public Task<string> PingAsync(string text, CancellationToken ct) => Task.FromResult("pong: " + text);

    public async IAsyncEnumerable<int> CountAsync(int count, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        for (int i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }

    public void Note(string text) { lock (Notes) Notes.Add(text); }

    public Task<int> AddAsync(int a, int b, CancellationToken ct) => Task.FromResult(a + b);

    /// <summary>Never called over the wire: the host owns the implementation's lifetime.</summary>
    public ValueTask DisposeAsync()
    {
        Interlocked.Increment(ref Disposed);
        return default;
    }
}
