using SidecarKit;

namespace SidecarKit.Tests.Support;

/// <summary>IProgress&lt;T&gt; parameters: reports that travel to the caller before the call completes.</summary>
[SidecarContract("reporting")]
public partial interface IReporting
{
    /// <summary>Reports 1…<paramref name="steps"/>, then returns <paramref name="steps"/>.</summary>
    Task<int> WorkAsync(int steps, IProgress<int> progress, CancellationToken ct = default);

    /// <summary>A DTO report, the progress parameter first, no result.</summary>
    ValueTask CopyAsync(IProgress<CopyReport>? progress, string name, CancellationToken ct = default);
}

public sealed record CopyReport(string File, long Bytes);

public sealed class Reporting : IReporting
{
    public IProgress<int>? Kept;

    public Task<int> WorkAsync(int steps, IProgress<int> progress, CancellationToken ct)
    {
        Kept = progress;
        for (int i = 1; i <= steps; i++) progress.Report(i);
        return Task.FromResult(steps);
    }

    public async ValueTask CopyAsync(IProgress<CopyReport>? progress, string name, CancellationToken ct)
    {
        await Task.Yield();
        progress?.Report(new CopyReport(name + ".1", 10));
        progress?.Report(new CopyReport(name + ".2", 20));
    }
}

/// <summary>An <see cref="IProgress{T}"/> that records synchronously (unlike <see cref="Progress{T}"/>, which posts).</summary>
public sealed class Recorded<T> : IProgress<T>
{
    public readonly List<T> Reports = [];

    public Action<T>? OnReport { get; init; }

    public void Report(T value)
    {
        lock (Reports) Reports.Add(value);
        OnReport?.Invoke(value);
    }
}
