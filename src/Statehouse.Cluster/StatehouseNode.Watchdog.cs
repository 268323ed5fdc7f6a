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
    private volatile bool _groupDown;
    private long _lastRecoveryAttempt;

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

        if (_applyFailure is not null)
        {
            // A half-applied entry: only a process restart (state from the snapshot and log) is safe.
            return;
        }

        _ = IsLeader; // notices DotNext's zombie state
        var broken = log.Failure is not null || _raftBroken || _groupDown;
        var applied = log.AppliedIndex;
        if (applied != _watchApplied || log.CommitIndex <= applied)
        {
            _watchApplied = applied;
            _watchSince = Stopwatch.GetTimestamp();
            if (!broken)
            {
                return;
            }
        }

        var stalledMs = (long)Stopwatch.GetElapsedTime(_watchSince).TotalMilliseconds;
        if (!broken && stalledMs < _options.Raft.WatchdogStallMs)
        {
            return;
        }

        if (broken && _groupDown && Stopwatch.GetElapsedTime(_lastRecoveryAttempt) < TimeSpan.FromSeconds(2))
        {
            // A failed recovery is retried, but not in a tight loop.
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
            _lastRecoveryAttempt = Stopwatch.GetTimestamp();
            var options = _options;
            _groupDown = true;
            await StopRaftAsync().ConfigureAwait(false);
            // Never accepts a loss here: the state in memory already holds what the log must.
            _log = WriteAheadLog.Open(WalOptionsFor(options, acceptLoss: false, _snapshots.Latest?.Index ?? 0));

            _raftBroken = false;
            await StartRaftGroupAsync(CancellationToken.None).ConfigureAwait(false);

            // The storage failure the restart cleared no longer stops writes.
            _fatal = null;
            _groupDown = false;
        }
        catch (Exception ex)
        {
            // Stays down (writes refused, /healthz 503); the watchdog tries again with the files closed.
            Log.WatchdogFailed(_logger, ex);
            _fatal ??= ex;
            try
            {
                await StopRaftAsync().ConfigureAwait(false);
            }
            catch (Exception stopFailure) when (stopFailure is not OutOfMemoryException)
            {
                Log.WatchdogFailed(_logger, stopFailure);
            }

            _log.Dispose();
        }
        finally
        {
            Volatile.Write(ref _recovering, 0);
        }
    }
}
