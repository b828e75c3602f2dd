namespace SidecarKit.Tests.Support;

/// <summary>A method that fails with error data of a chosen kind (the implementations are the tests', per transport).</summary>
[SidecarContract("errs")]
public partial interface IErrors
{
    /// <summary>Fails with data: 0 MessagePack (bin and ext), 1 JSON, 2 not JSON at all, 3 MessagePack that has no JSON form.</summary>
    Task FailAsync(int kind, CancellationToken ct);
}
