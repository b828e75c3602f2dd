using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SidecarKit.Processes;

namespace SidecarKit.Transports.Grpc;

/// <summary>
/// Sidecars that outlive their parent, the way go-plugin hosts upgrade without restarting their plugins: the first run
/// starts the sidecar detached and writes a reattach record; a later run (the parent restarted, crashed, or was
/// upgraded) finds the record, checks that the recorded process still runs as that sidecar, and attaches to it instead
/// of starting another. See docs/deployment.md, "Reattaching after a parent restart".
/// </summary>
/// <example>
/// <code>
/// var process = new SidecarProcessOptions { Name = "demo", FileName = "./Demo.Sidecar", Arguments = { "--transport", "grpc-unix" } }.UseGrpc();
/// await using AttachedSidecar demo = await SidecarReattach.StartOrReattachAsync(process, "/var/lib/app/demo.reattach.json");
/// // demo.Reattached: whether it was already running. demo.StopAsync() stops it for good; disposing leaves it running.
/// </code>
/// </example>
public static class SidecarReattach
{
    /// <summary>
    /// Attaches to the sidecar the record at <paramref name="recordPath"/> names when its process still runs (same pid,
    /// started with the recorded token) and answers as the recorded instance; otherwise starts it from
    /// <paramref name="process"/> (made <see cref="SidecarProcessOptions.Detached"/>; it must serve gRPC:
    /// <c>UseGrpc()</c>), writes the record (private to the user: it holds the token) and attaches to it.
    /// </summary>
    /// <remarks>
    /// <paramref name="process"/>'s <see cref="SidecarProcessOptions.Detached"/> is set. The attachment's TLS is
    /// <paramref name="attach"/>'s <c>Client.Tls</c>: give it the same settings as <c>UseGrpc(client)</c>. Two parents
    /// that start at once with the same record take turns (a lock file beside it), so one of them reattaches.
    /// </remarks>
    /// <param name="process">How to start the sidecar when none runs.</param>
    /// <param name="recordPath">The reattach record's file.</param>
    /// <param name="attach">How to watch and call it (TLS, liveness, reconnection); the address, token and instance come from the record.</param>
    /// <param name="cancellationToken">Cancels the start or the attach.</param>
    /// <exception cref="SidecarStartException">The recorded sidecar runs but does not answer as the recorded instance (it is not started a second time: stop it or remove the record), or the new one could not start.</exception>
    public static async Task<AttachedSidecar> StartOrReattachAsync(SidecarProcessOptions process, string recordPath, SidecarAttachOptions? attach = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentException.ThrowIfNullOrEmpty(recordPath);
        if (process.ConnectChannel is null)
            throw new ArgumentException("Reattaching works over gRPC: call UseGrpc() on the process options.", nameof(process));
        attach ??= new SidecarAttachOptions();
        ILogger logger = (attach.Client.LoggerFactory ?? process.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SidecarKit.Attach");
        // One parent at a time per record: two starting together would each start a sidecar, and one would be orphaned.
        await using FileStream held = await LockAsync(recordPath, process.ReadyTimeout + attach.ReadyTimeout, cancellationToken).ConfigureAwait(false);

        SidecarReattachRecord? record = null;
        try { record = SidecarReattachRecord.Load(recordPath); }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Ignoring the reattach record {Path}: {Reason}", recordPath, e.Message);
        }
        if (record is not null)
        {
            if (record.IsProcessRunning())
            {
                logger.LogInformation("Reattaching to {Record} from {Path}.", record, recordPath);
                AttachedSidecar found = await AttachedSidecar.AttachAsync(For(attach, process, record), cancellationToken).ConfigureAwait(false);
                found.Reattached = true;
                found.RecordPath = recordPath;
                return found;
            }
            logger.LogInformation("The sidecar of the reattach record {Path} ({Record}) is not running; starting a new one.", recordPath, record);
        }

        process.Detached = true;
        SidecarProcess started = await SidecarProcess.StartAsync(process, cancellationToken).ConfigureAwait(false);
        try
        {
            record = SidecarReattachRecord.From(started);
            record.Save(recordPath);
            await started.DetachAsync().ConfigureAwait(false);
        }
        catch
        {
            // Started here and of no use without its record: killed, not left behind.
            await started.KillAsync().ConfigureAwait(false);
            await started.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        logger.LogInformation("Started {Record} detached; its reattach record is {Path}.", record, recordPath);
        try
        {
            AttachedSidecar attached = await AttachedSidecar.AttachAsync(For(attach, process, record), cancellationToken).ConfigureAwait(false);
            attached.RecordPath = recordPath;
            attached.Spawned = started;   // forwards its output while this process lives; released with the attachment
            return attached;
        }
        catch
        {
            // Started here and unusable: not left running behind a record.
            await started.KillAsync().ConfigureAwait(false);
            await started.DisposeAsync().ConfigureAwait(false);
            try { File.Delete(recordPath); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { logger.LogWarning("Could not remove the reattach record {Path}: {Reason}", recordPath, e.Message); }
            throw;
        }
    }

    // An exclusive lock on "<record>.lock" (flock on Unix, a share mode on Windows), taken within the timeout.
    private static async Task<FileStream> LockAsync(string recordPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string path = Path.GetFullPath(recordPath) + ".lock";
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        long end = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                return new FileStream(path, options);
            }
            catch (IOException) when (Environment.TickCount64 < end)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new SidecarStartException($"Another process holds {path} (it is starting or reattaching to the same sidecar) for longer than {timeout.TotalSeconds:0.#} s.", null, [], e);
            }
        }
    }

    // The caller's attach options, pointed at the recorded sidecar: its address, its token, its instance.
    private static SidecarAttachOptions For(SidecarAttachOptions attach, SidecarProcessOptions process, SidecarReattachRecord record)
    {
        GrpcClientOptions client = attach.Client.Copy();
        client.Token = record.Token;
        client.Callbacks ??= process.Callbacks.Contracts.Count > 0 ? process.Callbacks : null;
        client.LoggerFactory ??= process.LoggerFactory;
        return new SidecarAttachOptions
        {
            Name = record.Name,
            Address = record.Address,
            Client = client,
            InstanceId = record.InstanceId,
            ReadyTimeout = attach.ReadyTimeout,
            ContractCompatibility = attach.ContractCompatibility,
            LivenessInterval = attach.LivenessInterval,
            CheckTimeout = attach.CheckTimeout,
            LivenessFailureThreshold = attach.LivenessFailureThreshold,
            ReconnectDelay = attach.ReconnectDelay,
            MaxReconnectDelay = attach.MaxReconnectDelay,
            WaitForReadyTimeout = attach.WaitForReadyTimeout,
            ShutdownTimeout = attach.ShutdownTimeout,
            TimeProvider = attach.TimeProvider,
        };
    }
}
