using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Statehouse.Cluster.Raft;
using Statehouse.Storage;

namespace Statehouse.Cluster;

public sealed partial class StatehouseNode
{
    private long _watchApplied = -1;
    private long _watchSince = Stopwatch.GetTimestamp();
    private int _recovering;

    /// <summary>
    /// Self-healing (notes on DotNext: a follower's log once broke until the process restarted): when the applied index
    /// stands still while the commit index is ahead for <see cref="RaftOptions.WatchdogStallMs"/>, or the Raft log
    /// failed, the Raft group is restarted from disk under the live state (no state goes back).
    /// </summary>
    private async Task WatchdogTickAsync()
    {
        if (_raftLog is not { } log || _options.Raft!.WatchdogStallMs <= 0 || Volatile.Read(ref _recovering) != 0 || RemovedBy is not null)
        {
            return;
        }

        var applied = log.AppliedIndex;
        if (applied != _watchApplied || log.CommitIndex <= applied)
        {
            _watchApplied = applied;
            _watchSince = Stopwatch.GetTimestamp();
            if (log.Failure is null)
            {
                return;
            }
        }

        var stalledMs = (long)Stopwatch.GetElapsedTime(_watchSince).TotalMilliseconds;
        if (log.Failure is null && stalledMs < _options.Raft.WatchdogStallMs)
        {
            return;
        }

        Log.WatchdogRecovering(_logger, applied, log.CommitIndex, stalledMs);
        await RecoverRaftGroupAsync().ConfigureAwait(false);
        _watchSince = Stopwatch.GetTimestamp();
    }

    /// <summary>Fault injection for tests: holds the apply gate for <paramref name="duration"/> (a stuck apply).</summary>
    internal Task InjectApplyStallAsync(TimeSpan duration) =>
        _raftLog is { } log ? Task.Run(() => log.RunExclusiveAsync(() => Thread.Sleep(duration), CancellationToken.None).AsTask()) : Task.CompletedTask;

    /// <summary>Stops the Raft group, reopens its log from disk under the current state, and starts it again.</summary>
    internal async Task RecoverRaftGroupAsync()
    {
        if (Interlocked.Exchange(ref _recovering, 1) != 0)
        {
            return;
        }

        try
        {
            Interlocked.Increment(ref _recoveries);
            var options = _options;
            await StopRaftAsync().ConfigureAwait(false);
            _log = WriteAheadLog.Open(new WalOptions
            {
                Directory = Path.Combine(options.DataDirectory, "wal"),
                SegmentSizeBytes = options.SegmentSizeBytes,
                SyncMode = options.SyncWrites ? WalSyncMode.FDataSync : WalSyncMode.None,
            });

            // A storage or apply failure that the restart cleared no longer stops writes.
            _fatal = null;
            await StartRaftGroupAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.WatchdogFailed(_logger, ex);
            _fatal ??= ex;
        }
        finally
        {
            Volatile.Write(ref _recovering, 0);
        }
    }
}
