// The chaos sidecar: a sidecar that misbehaves on purpose, for supervision tests.
//
// It serves the demo contract (IDemo, with the demo's own DemoService) over JSON lines on stdio, exactly like
// samples/Demo/Sidecar, so tests call it with the generated IDemo proxy. What goes wrong is chosen by environment
// variables, not flags (SidecarHost rejects unknown flags). With none set it behaves like the demo sidecar. Several can
// be combined. "Ready" below means: the host has written the __SIDECAR_READY__ marker on stderr and queued
// lifecycle.ready on stdout. A value that cannot be parsed makes it write "chaos: <reason>" on stderr and exit with 2.
// Every line the chaos sidecar itself writes goes to stderr and starts with "chaos: " (except the flood, the partial
// line and CHAOS_READY_ON_STDOUT's marker).
//
//   CHAOS_EXIT_CODE=N         Become ready, then exit with code N (Environment.Exit; no lifecycle.shutdown, nothing
//   CHAOS_EXIT_AFTER_MS=T     more on stdout) T ms later (default 0), after writing "chaos: exiting with code N".
//                             CHAOS_EXIT_AFTER_MS without CHAOS_EXIT_CODE is an error. (With T = 0 the process may be
//                             gone before lifecycle.ready reaches stdout; the stderr marker is always out first.)
//   CHAOS_CRASH_BEFORE_READY=N
//                             Write three stderr lines, the first "chaos: crashing before ready", and exit with code N
//                             without announcing readiness (nothing at all on stdout).
//   CHAOS_NEVER_READY=1       Write "chaos: never becoming ready" on stderr and wait without announcing readiness
//                             (nothing on stdout, requests are never read). Exits with 0 at the end of stdin, after
//                             "chaos: stdin closed, exiting"; SIGTERM kills it (the runtime's default handling: it
//                             dies of the signal, exit code 143 as .NET reports it), unless CHAOS_IGNORE_SIGTERM=1.
//   CHAOS_HANG_AFTER_READY_MS=T
//                             Become ready and serve normally; T ms later write "chaos: hanging now (SIGSTOP)" on stderr
//                             and send itself SIGSTOP. A stopped process answers nothing (not even system.ping), does
//                             not read stdin (so ignores its end), leaves SIGTERM pending and writes nothing, but does not
//                             exit: a hung sidecar. Only SIGKILL (or SIGCONT) ends that state. T counts from readiness.
//   CHAOS_IGNORE_SIGTERM=1    Write "chaos: ignoring SIGTERM" and set SIGTERM to SIG_IGN at the OS level (signal(2)),
//                             before the host starts (and again once it runs). Everything else stays normal: it becomes
//                             ready, and system.shutdown, stdin EOF and SIGINT still stop it; SIGTERM does nothing, so
//                             only SIGKILL ends it when those are not used. (A PosixSignalRegistration that cancels
//                             SIGTERM would NOT do: the runtime runs every registered handler whatever the order, so
//                             the host's own handler still starts a shutdown (checked: both ran, the host shut down
//                             with reason "sigterm"). SIG_IGN set before the host starts stays in force when the host
//                             registers its handler: checked with kill -TERM, .NET 10 leaves an ignored SIGTERM alone.)
//   CHAOS_SPAWN_GRANDCHILD=1  At start, spawn `sleep 600` as a child of the sidecar (a grandchild of the parent) and
//   CHAOS_SPAWN_GRANDCHILD=setsid
//                             write "chaos: grandchild <pid>" on stderr; with "setsid" it runs `setsid sleep 600`, so
//                             the grandchild is in a session (and process group) of its own. <pid> is the pid of the
//                             sleep process in both cases. The grandchild's stdin/stdout/stderr are pipes to the
//                             sidecar, so it holds none of the parent's pipes open. The sidecar never stops it: after
//                             the sidecar exits it lives on (reparented) unless the parent kills the process tree...
//   CHAOS_GRANDCHILD_STDIO=inherit
//                             ...unless this is set: then it inherits the sidecar's stdin, stdout and stderr, and keeps
//                             the parent's ends of those pipes from reaching EOF while it lives.
//   CHAOS_FLOOD_BYTES=N       Once ready, write exactly N bytes of log lines on stderr as fast as possible, from a
//                             background thread: 100-byte lines "chaos: flood 00000001 xxx…" (the last one shorter,
//                             every one ending in \n), then one more line "chaos: flood done (N bytes)". stdout is not
//                             touched. If the parent does not read stderr, the thread blocks (and so does any logging).
//   CHAOS_PARTIAL_LINES=1     Once ready, write on stderr, from a background thread, "part-1 ", "part-2 ", …, "part-10 "
//                             one piece every 100 ms, each flushed on its own without a newline, then "\n": one line
//                             "part-1 part-2 … part-10 " spread over about a second. (A log line written meanwhile, e.g.
//                             by demo.log, lands in the middle of it. With CHAOS_FLOOD_BYTES it comes after the flood.)
//   CHAOS_STARTUP_FAIL=text   Register a startup task (SidecarHostBuilder.AddStartupTask) that throws
//                             InvalidOperationException(text): the sidecar never reports ready and exits with code 1.
//   CHAOS_READY_ON_STDOUT=1   Write the __SIDECAR_READY__:{json} marker line on stdout (the protocol channel, where it
//                             is not JSON-RPC) instead of stderr, before the host starts; the host runs with
//                             --quiet-ready, so stderr has no marker. Then it behaves normally: lifecycle.ready is the
//                             second line on stdout.
//
// Run it as the tests do: dotnet tests/ChaosSidecar/bin/<Configuration>/net10.0/SidecarKit.Tests.ChaosSidecar.dll [flags]

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using SidecarKit;
using SidecarKit.Hosting;
using SidecarKit.Samples.Demo;
using SidecarKit.Samples.Demo.Sidecar;
using SidecarKit.Tests.ChaosSidecar;
using SidecarKit.Transports.JsonLines;

ChaosSettings chaos;
try
{
    chaos = ChaosSettings.FromEnvironment();
}
catch (FormatException e)
{
    Chaos.Say(e.Message);
    return 2;
}

if (chaos.Grandchild is { } grandchildMode)
    Chaos.SpawnGrandchild(grandchildMode, chaos.GrandchildInheritsStdio);

// Before the host exists (but after the grandchild, which should not inherit SIG_IGN), so SIGTERM is ignored from the
// start: the runtime leaves an ignored SIGTERM ignored when the host registers its handler (checked); it is set again
// once the host runs in case that ever changes.
if (chaos.IgnoreSigterm)
    Chaos.IgnoreSigterm(announce: true);

if (chaos.CrashBeforeReadyCode is int crashCode)
{
    Chaos.Say("crashing before ready");
    Chaos.Say("this is what a sidecar that fails at start-up looks like");
    Chaos.Say($"exiting with code {crashCode}");
    return crashCode;
}

if (chaos.NeverReady)
{
    Chaos.Say("never becoming ready");
    using (Stream stdin = Console.OpenStandardInput())
    {
        var buffer = new byte[4096];
        while (stdin.Read(buffer) > 0) { }
    }
    Chaos.Say("stdin closed, exiting");
    return 0;
}

string[] hostArgs = chaos.ReadyOnStdout ? [.. args, "--quiet-ready"] : args;
SidecarHostBuilder builder = SidecarHost.CreateBuilder(hostArgs).AddJsonLines();
ILogger logger = builder.LoggerFactory.CreateLogger("demo");
builder.AddContract<IDemo>(channel => new DemoService(channel.GetClient<IDemoEvents>(), logger));
builder.AddContract<SidecarKit.Tests.Support.IChaosControl>(new SidecarKit.Tests.Support.ChaosControl());
if (Environment.GetEnvironmentVariable("CHAOS_STARTUP_FAIL") is { Length: > 0 } startupFailure)
    builder.AddStartupTask(_ => throw new InvalidOperationException(startupFailure));
SidecarHost host = builder.Build();

bool servesProtocol = !args.Any(a => a is "-h" or "--help" || a.StartsWith("--describe", StringComparison.Ordinal));
if (chaos.ReadyOnStdout && servesProtocol)
{
    ContractDescriptor demo = Chaos.DescriptorOf<IDemo>();
    var ready = new SidecarReadyInfo(builder.Options.Version, SidecarReadyInfo.CurrentProtocolVersion, Environment.ProcessId,
        host.InstanceId, builder.Options.Transport, null, [SidecarContractInfo.From(demo)]);
    Console.Out.WriteLine(SidecarReadyInfo.MarkerPrefix + ready.ToJson());
    Console.Out.Flush();
}

// RunAsync returns at its first real wait: by then it has installed its signal handlers, written the ready marker
// (synchronously: Console.Error is synchronous), queued lifecycle.ready and started reading stdin. If it has already
// finished (--help, --describe, a bad command line) there is nothing to misbehave in.
Task<int> run = host.RunAsync();
if (!run.IsCompleted)
{
    if (chaos.IgnoreSigterm)
        Chaos.IgnoreSigterm(announce: false);
    if (chaos.ExitCode is int exitCode)
        Chaos.Later(chaos.ExitAfterMs, () =>
        {
            Chaos.Say($"exiting with code {exitCode}");
            Environment.Exit(exitCode);
        });
    if (chaos.HangAfterReadyMs is int hangAfter)
        Chaos.Later(hangAfter, Chaos.Hang);
    // One thread for both, flood first, so the partial line is not cut by flood lines.
    if (chaos.FloodBytes is not null || chaos.PartialLines)
        Chaos.Later(0, () =>
        {
            if (chaos.FloodBytes is long floodBytes) Chaos.Flood(floodBytes);
            if (chaos.PartialLines) Chaos.WritePartialLine();
        });
}
return await run;

namespace SidecarKit.Tests.ChaosSidecar
{
    /// <summary>The CHAOS_* environment variables, parsed.</summary>
    internal sealed record ChaosSettings(
        int? ExitCode,
        int ExitAfterMs,
        int? CrashBeforeReadyCode,
        bool NeverReady,
        int? HangAfterReadyMs,
        bool IgnoreSigterm,
        string? Grandchild,
        bool GrandchildInheritsStdio,
        long? FloodBytes,
        bool PartialLines,
        bool ReadyOnStdout)
    {
        public static ChaosSettings FromEnvironment()
        {
            int? exitCode = Int("CHAOS_EXIT_CODE", 0, 255);
            int? exitAfter = Int("CHAOS_EXIT_AFTER_MS", 0, int.MaxValue);
            if (exitAfter is not null && exitCode is null)
                throw new FormatException("CHAOS_EXIT_AFTER_MS needs CHAOS_EXIT_CODE");
            string? grandchild = Value("CHAOS_SPAWN_GRANDCHILD");
            if (grandchild is not (null or "1" or "setsid"))
                throw new FormatException($"CHAOS_SPAWN_GRANDCHILD must be 1 or setsid, not '{grandchild}'");
            string? stdio = Value("CHAOS_GRANDCHILD_STDIO");
            if (stdio is not (null or "inherit"))
                throw new FormatException($"CHAOS_GRANDCHILD_STDIO must be inherit, not '{stdio}'");
            return new ChaosSettings(
                exitCode,
                exitAfter ?? 0,
                Int("CHAOS_CRASH_BEFORE_READY", 0, 255),
                Flag("CHAOS_NEVER_READY"),
                Int("CHAOS_HANG_AFTER_READY_MS", 0, int.MaxValue),
                Flag("CHAOS_IGNORE_SIGTERM"),
                grandchild,
                stdio == "inherit",
                Long("CHAOS_FLOOD_BYTES"),
                Flag("CHAOS_PARTIAL_LINES"),
                Flag("CHAOS_READY_ON_STDOUT"));
        }

        private static string? Value(string name)
            => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value.Trim() : null;

        private static bool Flag(string name) => Value(name) switch
        {
            null or "0" or "false" => false,
            "1" or "true" => true,
            string other => throw new FormatException($"{name} must be 1 or 0, not '{other}'"),
        };

        private static int? Int(string name, int min, int max)
        {
            string? text = Value(name);
            if (text is null) return null;
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
                throw new FormatException($"{name} must be an integer from {min} to {max}, not '{text}'");
            return value;
        }

        private static long? Long(string name)
        {
            string? text = Value(name);
            if (text is null) return null;
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                throw new FormatException($"{name} must be a non-negative integer, not '{text}'");
            return value;
        }
    }

    /// <summary>The misbehaviours.</summary>
    internal static class Chaos
    {
        private static readonly List<Process> Grandchildren = [];

        /// <summary>Writes one "chaos: …" line on stderr.</summary>
        public static void Say(string message)
        {
            Console.Error.WriteLine("chaos: " + message);
            Console.Error.Flush();
        }

        public static ContractDescriptor DescriptorOf<T>() where T : class, ISidecarContract<T> => T.Descriptor;

        /// <summary>Runs <paramref name="action"/> on a background thread of its own after <paramref name="delayMs"/>.</summary>
        public static void Later(int delayMs, Action action)
        {
            var thread = new Thread(() =>
            {
                if (delayMs > 0) Thread.Sleep(delayMs);
                action();
            }) { IsBackground = true, Name = "chaos" };
            thread.Start();
        }

        public static void SpawnGrandchild(string mode, bool inheritStdio)
        {
            var start = new ProcessStartInfo(mode == "setsid" ? "setsid" : "sleep") { UseShellExecute = false };
            if (mode == "setsid") start.ArgumentList.Add("sleep");
            start.ArgumentList.Add("600");
            // setsid(1) execs the command in place (it only forks when it is a process group leader, which a child
            // started here is not), so the pid is the sleep's in both cases.
            start.RedirectStandardInput = start.RedirectStandardOutput = start.RedirectStandardError = !inheritStdio;
            Process child = Process.Start(start) ?? throw new InvalidOperationException("could not start the grandchild");
            Grandchildren.Add(child);
            Say($"grandchild {child.Id}");
        }

        public static void Hang()
        {
            Say("hanging now (SIGSTOP)");
            if (Native.kill(Environment.ProcessId, Native.SIGSTOP) != 0)
                Say($"kill(SIGSTOP) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        public static void IgnoreSigterm(bool announce)
        {
            if (Native.signal(Native.SIGTERM, Native.SIG_IGN) == Native.SIG_ERR)
                Say($"signal(SIGTERM, SIG_IGN) failed: errno {Marshal.GetLastPInvokeError()}");
            else if (announce)
                Say("ignoring SIGTERM");
        }

        /// <summary>Writes exactly <paramref name="total"/> bytes of 100-byte lines on stderr, as fast as it can.</summary>
        public static void Flood(long total)
        {
            const int LineBytes = 100;
            const int ChunkChars = 64 * 1024;
            string filler = new('x', LineBytes);
            var chunk = new StringBuilder(ChunkChars + LineBytes);
            long written = 0;
            int number = 0;
            while (written < total)
            {
                chunk.Clear();
                while (chunk.Length < ChunkChars && written < total)
                {
                    string line = "chaos: flood " + (++number).ToString("D8", CultureInfo.InvariantCulture) + " " + filler;
                    int length = (int)Math.Min(LineBytes, total - written); // ASCII: one byte per char
                    chunk.Append(line, 0, length - 1).Append('\n');
                    written += length;
                }
                Console.Error.Write(chunk.ToString());
            }
            Console.Error.Flush();
            Say($"flood done ({total} bytes)");
        }

        public static void WritePartialLine()
        {
            for (int i = 1; i <= 10; i++)
            {
                Console.Error.Write($"part-{i} ");
                Console.Error.Flush();
                Thread.Sleep(100);
            }
            Console.Error.Write('\n');
            Console.Error.Flush();
        }
    }

    internal static class Native
    {
        public const int SIGTERM = 15;
        public static readonly int SIGSTOP = OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() ? 17 : 19;
        public static readonly nint SIG_IGN = 1;
        public static readonly nint SIG_ERR = -1;

        [DllImport("libc", SetLastError = true)]
        public static extern int kill(int pid, int sig);

        [DllImport("libc", SetLastError = true)]
        public static extern nint signal(int sig, nint handler);
    }
}
