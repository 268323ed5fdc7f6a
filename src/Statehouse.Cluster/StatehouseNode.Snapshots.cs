using System.Diagnostics;
using Statehouse.Core.Store;
using Statehouse.Storage;

namespace Statehouse.Cluster;

/// <summary>What a finished snapshot covers.</summary>
public sealed record SnapshotReport(long Index, long Revision, long Bytes, string Path, TimeSpan Duration);

public sealed partial class StatehouseNode
{
    private TaskCompletionSource<SnapshotReport>? _snapshotWaiter;

    /// <summary>Takes a snapshot now (or joins the one running) and truncates the log it covers.</summary>
    public async Task<SnapshotReport> SnapshotAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<SnapshotReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        await PostAsync(() => TryStartSnapshot(done), cancellationToken).ConfigureAwait(false);
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs on the apply loop. Captures the current immutable view and writes it on another thread while writes go on:
    /// the only pause is this method. Physical trimming of history waits until the file is complete.
    /// </summary>
    private void TryStartSnapshot(TaskCompletionSource<SnapshotReport>? waiter)
    {
        if (Interlocked.CompareExchange(ref _snapshotRunning, 1, 0) != 0)
        {
            if (waiter is not null)
            {
                // Join the running snapshot: answer when it completes.
                var previous = _snapshotWaiter;
                _snapshotWaiter = waiter;
                if (previous is not null)
                {
                    _ = waiter.Task.ContinueWith(t => previous.TrySetFromTask(t), TaskScheduler.Default);
                }
            }

            return;
        }

        var view = _machine.View;
        if (view.AppliedIndex == 0)
        {
            // Nothing applied yet: there is nothing a snapshot could cover.
            Volatile.Write(ref _snapshotRunning, 0);
            waiter?.TrySetResult(new SnapshotReport(0, 0, 0, "", TimeSpan.Zero));
            return;
        }

        _snapshotWaiter = waiter;
        _machine.PhysicalCompactionEnabled = false;
        _entriesSinceSnapshot = 0;
        _bytesSinceSnapshot = 0;
        _commandsSinceSnapshot = 0;
        _ = Task.Run(() => WriteSnapshot(view));
    }

    private async Task WriteSnapshot(StoreView view)
    {
        var started = Stopwatch.GetTimestamp();
        SnapshotReport? report = null;
        SnapshotInfo? info = null;
        Exception? failure = null;
        try
        {
            var term = _raftLog is null ? SingleMemberTerm : _raftLog.TermAt(view.AppliedIndex)
                ?? throw new InvalidOperationException($"The term of entry {view.AppliedIndex} is no longer known (a snapshot was installed meanwhile).");
            var gate = _raftLog?.SnapshotGate;
            if (gate is not null)
            {
                await gate.WaitAsync(_stopping.Token).ConfigureAwait(false);
            }

            try
            {
                if (_raftLog is not null && _raftLog.SnapshotIndex >= view.AppliedIndex && _snapshots.Latest is { } newer)
                {
                    // An installed or automatic snapshot already covers this state: that one answers.
                    report = new SnapshotReport(newer.Index, view.Revision, newer.BodyLengthBytes, newer.Path, Stopwatch.GetElapsedTime(started));
                }
                else
                {
                    using var writer = _snapshots.BeginWrite(view.AppliedIndex, term);
                    StateMachine.WriteSnapshot(view, writer.Body, _stopping.Token);
                    info = writer.Commit();
                    report = new SnapshotReport(view.AppliedIndex, view.Revision, info.BodyLengthBytes, info.Path, Stopwatch.GetElapsedTime(started));
                    Log.SnapshotWritten(_logger, view.AppliedIndex, view.Revision, report.Bytes, report.Duration.TotalMilliseconds);
                    _metrics.RecordSnapshot(report.Duration.TotalMilliseconds);
                }
            }
            finally
            {
                gate?.Release();
            }
        }
        catch (Exception ex)
        {
            failure = ex;
            Log.SnapshotFailed(_logger, ex);
        }

        try
        {
            await PostAsync(() => FinishSnapshot(view.AppliedIndex, info, report, failure), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Threading.Channels.ChannelClosedException or ObjectDisposedException or OperationCanceledException)
        {
            // Stopping (or the Raft log was reopened meanwhile): the log is not truncated now; the next start or
            // snapshot uses this one and skips what it covers.
            FinishSnapshotWithoutLoop(report, failure);
        }
    }

    private void FinishSnapshot(long index, SnapshotInfo? info, SnapshotReport? report, Exception? failure)
    {
        if (report is not null && info is not null)
        {
            // Keep the log back to the previous snapshot, so it can still start the node if the newest one turns out
            // corrupt (and, in a cluster, so a slightly lagging follower still gets entries rather than a snapshot).
            var previous = Interlocked.Read(ref _lastSnapshotIndex);
            if (index <= previous)
            {
                // An installed snapshot overtook this one meanwhile: nothing to truncate.
                _machine.PhysicalCompactionEnabled = true;
                FinishSnapshotWithoutLoop(report, failure);
                return;
            }

            Interlocked.Exchange(ref _lastSnapshotIndex, index);
            if (_raftLog is not null)
            {
                _raftLog.SnapshotTaken(info, previous);
            }
            else if (previous > 0)
            {
                _log.TruncatePrefix(previous);
            }
        }

        _machine.PhysicalCompactionEnabled = true;
        FinishSnapshotWithoutLoop(report, failure);
    }

    private void FinishSnapshotWithoutLoop(SnapshotReport? report, Exception? failure)
    {
        var waiter = _snapshotWaiter;
        _snapshotWaiter = null;
        Volatile.Write(ref _snapshotRunning, 0);
        if (waiter is null)
        {
            return;
        }

        if (report is not null)
        {
            waiter.TrySetResult(report);
        }
        else
        {
            waiter.TrySetException(failure ?? new InvalidOperationException("Snapshot failed."));
        }
    }
}
