using SidecarKit;

namespace Consumer;

[SidecarContract("broken")]
public interface IBroken
{
    Task<int> AddAsync(int a, int b, CancellationToken ct = default);
}
