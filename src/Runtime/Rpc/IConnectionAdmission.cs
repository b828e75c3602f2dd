namespace SidecarKit.Rpc;

/// <summary>
/// Decides, from the first message a connection receives, whether the other side may be served at all. The host that
/// opens the connection passes one in (a sidecar's socket: <c>$/hello</c> with the start's token,
/// <see cref="Hosting.HelloTokenAdmission"/>); the engine only asks it, and reads, runs and answers nothing before.
/// </summary>
internal interface IConnectionAdmission
{
    /// <summary>Returns <see langword="null"/> to admit the connection, else the reason it is refused (logged, then the connection closes).</summary>
    string? Check(RpcProtocol protocol, in RpcMessage first);
}
