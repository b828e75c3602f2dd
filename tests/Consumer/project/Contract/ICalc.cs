using SidecarKit;

namespace Consumer;

[SidecarContract("calc")]
public partial interface ICalc
{
    Task<int> AddAsync(int a, int b, CancellationToken ct = default);
}

public sealed class Calc : ICalc
{
    public Task<int> AddAsync(int a, int b, CancellationToken ct = default) => Task.FromResult(a + b);
}
