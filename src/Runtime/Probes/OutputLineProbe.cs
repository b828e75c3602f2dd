using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace SidecarKit.Probes;

/// <summary>
/// <see cref="SidecarProbe.OutputLine"/>: watches the lines of each process it is attached to (one watch per
/// <see cref="SidecarProbeContext"/>, so one probe may serve several processes, or the next process after a restart,
/// each from its own first line) and remembers a match until a check takes it: a check passes when a matching line was
/// printed since the last check that passed. For readiness that is "the line came"; for liveness, a heartbeat (a
/// program that prints <c>alive</c> every minute is alive while a new <c>alive</c> comes within each period).
/// </summary>
internal sealed class OutputLineProbe : SidecarProbe
{
    private static readonly TimeSpan s_matchTimeout = TimeSpan.FromSeconds(1);

    private readonly Regex _regex;
    private readonly SidecarOutputStream? _stream;
    private readonly ConditionalWeakTable<SidecarProbeContext, Watch> _watches = new();

    public OutputLineProbe(string pattern, SidecarOutputStream? stream)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (stream is { } s && !Enum.IsDefined(s)) throw new ArgumentOutOfRangeException(nameof(stream), s, "Not an output stream.");
        try
        {
            // The interpreter (no RegexOptions.Compiled): AOT-safe, and a probe's pattern is matched rarely.
            _regex = new Regex(pattern, RegexOptions.CultureInvariant, s_matchTimeout);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"'{pattern}' is not a valid regular expression: {e.Message}", nameof(pattern), e);
        }
        _stream = stream;
        Description = $"a line on {StreamName(stream)} matching '{pattern}'";
    }

    public override string Description { get; }

    internal override void Attach(SidecarProbeContext context) => WatchOf(context);

    public override ValueTask<SidecarProbeResult> CheckAsync(SidecarProbeContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(WatchOf(context).TakeMatch()
            ? SidecarProbeResult.Pass
            : SidecarProbeResult.Fail($"no line on {StreamName(_stream)} matching '{_regex}' since the last check"));
    }

    private Watch WatchOf(SidecarProbeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // GetValue runs the factory at most once per context that ends up in the table; a watch made by a losing racer
        // is never started (Start is called on the winner only, under its own lock).
        Watch watch = _watches.GetValue(context, _ => new Watch(this));
        watch.Start(context);
        return watch;
    }

    private static string StreamName(SidecarOutputStream? stream) => stream switch
    {
        SidecarOutputStream.StandardOutput => "stdout",
        SidecarOutputStream.StandardError => "stderr",
        _ => "stdout or stderr",
    };

    /// <summary>The watch of one process's output, for as long as the process lives.</summary>
    private sealed class Watch(OutputLineProbe probe)
    {
        private readonly Lock _gate = new();
        private bool _started;
        private int _matched;

        /// <summary>Whether a line matched since the last call that returned <see langword="true"/>.</summary>
        public bool TakeMatch() => Interlocked.Exchange(ref _matched, 0) == 1;

        public void Start(SidecarProbeContext context)
        {
            if (Volatile.Read(ref _started)) return;
            lock (_gate)
            {
                if (_started) return;
                // Not disposed: the watch ends with the context (the process), which holds the only reference to it.
                _ = context.WatchOutput(OnLine);
                Volatile.Write(ref _started, true);
            }
        }

        private void OnLine(SidecarOutputStream stream, string line)
        {
            if (Volatile.Read(ref _matched) == 1 || (probe._stream is { } wanted && wanted != stream)) return;
            bool match;
            try
            {
                match = probe._regex.IsMatch(line);
            }
            catch (RegexMatchTimeoutException)
            {
                return;   // a pathological line for this pattern is not a match; the next line is tried as usual
            }
            if (match) Volatile.Write(ref _matched, 1);
        }
    }
}
