using SidecarKit;

namespace MyContract;

/// <summary>
/// What the sidecar serves and the parent calls. SidecarKit's generator turns this interface into the parent's client,
/// the sidecar's dispatcher and the wire codecs at build time (the method is <c>greeter.greet</c> on the wire).
/// </summary>
[SidecarContract("greeter")]
public partial interface IGreeter
{
    /// <summary>Returns a greeting for <paramref name="name"/>.</summary>
    /// <param name="name">Who to greet.</param>
    /// <param name="cancellationToken">Cancels the call, on both sides.</param>
    /// <returns>The greeting.</returns>
    Task<string> GreetAsync(string name, CancellationToken cancellationToken = default);
}
