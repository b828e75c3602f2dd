namespace SidecarKit.Probes;

/// <summary>The probe kinds that work for any program: the static factory methods of <see cref="SidecarProbe"/>.</summary>
public abstract partial class SidecarProbe
{
    /// <summary>
    /// Gives the probe the context of a sidecar process before the process's output is pumped, so that a probe that
    /// watches the output sees every line from the first (the process calls it once per process, before its first
    /// check; <see cref="CheckAsync"/> attaches too if this was not called). Does nothing unless a kind needs it.
    /// </summary>
    internal virtual void Attach(SidecarProbeContext context) { }

    /// <summary>A probe that passes at once: the sidecar is ready as soon as its process has started.</summary>
    public static SidecarProbe Started() => StartedProbe.Instance;

    /// <summary>
    /// A probe that passes when the sidecar has printed a line matching <paramref name="pattern"/> (for example
    /// <c>listening on</c>) since the last check that passed: for readiness, the line came; for liveness, a heartbeat
    /// (a new matching line within each period). Lines are watched from the moment the probe is attached to the process,
    /// which the process does before it reads the sidecar's output, so a line printed before the first check counts,
    /// and so does a line printed between two checks.
    /// </summary>
    /// <param name="pattern">A .NET regular expression, matched culture-invariantly against each line (without its line ending), with a match timeout of one second (a line whose match times out does not match).</param>
    /// <param name="stream">The stream the line must come from; <see langword="null"/> for either.</param>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> is not a valid regular expression.</exception>
    public static SidecarProbe OutputLine(string pattern, SidecarOutputStream? stream = null) => new OutputLineProbe(pattern, stream);

    /// <summary>A probe that passes when a TCP connection to <paramref name="host"/>:<paramref name="port"/> is accepted (it is closed at once).</summary>
    /// <param name="host">A host name or IP address.</param>
    /// <param name="port">The port, 1 to 65535.</param>
    /// <exception cref="ArgumentException"><paramref name="host"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is not in 1..65535.</exception>
    public static SidecarProbe Tcp(string host, int port) => new TcpProbe(host, port);

    /// <summary>
    /// A probe that passes when an HTTP GET of <paramref name="url"/> answers with a 2xx status. Redirects are followed;
    /// the body is not read. Each check opens its own connection (no proxy, no keep-alive), as Kubernetes does.
    /// </summary>
    /// <param name="url">An absolute <c>http</c> or <c>https</c> URL, for example <c>http://127.0.0.1:8000/health</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="url"/> is not an absolute <c>http</c> or <c>https</c> URL.</exception>
    public static SidecarProbe Http(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return Uri.TryCreate(url, UriKind.Absolute, out Uri? uri)
            ? new HttpProbe(uri, nameof(url))
            : throw new ArgumentException($"'{url}' is not an absolute http or https URL.", nameof(url));
    }

    /// <inheritdoc cref="Http(string)"/>
    public static SidecarProbe Http(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return new HttpProbe(url, nameof(url));
    }

    /// <summary>A probe that passes when the Unix domain socket at <paramref name="path"/> accepts a connection (it is closed at once).</summary>
    /// <param name="path">The socket's path.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or too long for a Unix socket address.</exception>
    public static SidecarProbe UnixSocket(string path) => new UnixSocketProbe(path);

    /// <summary>
    /// A probe that passes when <paramref name="check"/> returns <see langword="true"/>. An exception from it fails the
    /// check (its message is the detail), except cancellation through the token it is given.
    /// </summary>
    /// <param name="description">What the check checks, as a sentence fragment (for example <c>the model is loaded</c>).</param>
    /// <param name="check">The check; it should stop when its token is cancelled.</param>
    /// <exception cref="ArgumentException"><paramref name="description"/> is empty.</exception>
    public static SidecarProbe Delegate(string description, Func<CancellationToken, ValueTask<bool>> check) => new DelegateProbe(description, check);

    /// <summary>
    /// Whether an exception caught by a check is its failure (everything but the cancellation of the check's own token,
    /// which the caller counts as the attempt's timeout).
    /// </summary>
    internal static bool IsFailure(Exception exception, CancellationToken cancellationToken)
        => exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested;
}
