using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Statehouse.Core;
using Statehouse.Core.Codecs;
using Statehouse.Core.Model;
using Statehouse.Core.Store;
using Statehouse.Storage;

namespace Statehouse.Cluster;

public sealed partial class StatehouseNode
{
    /// <summary>
    /// The apply loop: (1) drain queued proposals into one batch, (2) encode it as one log entry, (3) append and
    /// fdatasync, (4) apply, (5) answer every proposal, (6) wake watchers, (7) maybe start a snapshot.
    /// While one batch is being synced, the next one accumulates in the queue: that is the group commit.
    /// </summary>
    private async Task RunLoop()
    {
        var reader = _proposals.Reader;
        var batch = new List<Proposal>(_options.MaxBatchCommands);
        var commands = new List<Command>(_options.MaxBatchCommands);
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        var records = new LogRecord[1];
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            commands.Clear();
            DrainInto(batch);
            foreach (var proposal in batch)
            {
                commands.Add(proposal.Command!);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            if (_fatal is { } fatal)
            {
                FailAll(batch, fatal);
                continue;
            }

            var entry = new CommandBatch(NowMs(), commands.ToArray());
            var index = _log.LastIndex + 1;
            var appendStarted = Stopwatch.GetTimestamp();
            try
            {
                buffer.ResetWrittenCount();
                CommandCodec.Encode(entry, buffer);
                records[0] = new LogRecord(index, SingleMemberTerm, buffer.WrittenMemory);
                _log.Append(records);
            }
            catch (Exception ex)
            {
                // After a failed write or fsync nobody knows what is on disk: stop taking writes (see docs/operations.md).
                _fatal = ex;
                Log.StorageFailed(_logger, ex);
                FailAll(batch, ex);
                continue;
            }

            _metrics.RecordAppend(Stopwatch.GetElapsedTime(appendStarted).TotalMilliseconds, batch.Count, buffer.WrittenCount);

            IReadOnlyList<CommandResult> results;
            try
            {
                results = _machine.Apply(entry, index);
            }
            catch (Exception ex)
            {
                // The entry is durable but could not be applied: a broken invariant. Stop rather than diverge.
                _fatal = ex;
                Log.ApplyFailed(_logger, index, ex);
                FailAll(batch, ex);
                continue;
            }

            try
            {
                Complete(batch, entry, results, buffer.WrittenCount);
            }
            catch (Exception ex)
            {
                // Answers and bookkeeping must not kill the loop silently: stop taking writes and say why.
                _fatal = ex;
                Log.ApplyFailed(_logger, index, ex);
                FailAll(batch, ex);
            }
        }

        Log.LoopStopped(_logger, _machine.View.AppliedIndex);
    }

    /// <summary>Answers the batch, keeps lease deadlines in step, wakes watchers, and starts a snapshot when due.</summary>
    private void Complete(List<Proposal> batch, CommandBatch entry, IReadOnlyList<CommandResult> results, int entryBytes)
    {
        Invariant.Assert(results.Count == batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(results[i]);
        }

        TrackLeases(entry.Commands, results);
        Interlocked.Exchange(ref _applied, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

        CountForSnapshot(1, entryBytes, batch.Count);
    }

    /// <summary>Counts applied work toward the next snapshot and starts one when due (on the apply loop).</summary>
    private void CountForSnapshot(long entries, long bytes, long commands)
    {
        _entriesSinceSnapshot += entries;
        _bytesSinceSnapshot += bytes;
        _commandsSinceSnapshot += commands;
        if (_entriesSinceSnapshot >= _options.SnapshotThresholdEntries
            || _bytesSinceSnapshot >= _options.SnapshotThresholdBytes
            || _commandsSinceSnapshot >= Math.Max(_options.SnapshotThresholdCommands, _machine.View.TotalKeysCached / 8))
        {
            TryStartSnapshot(null);
        }
    }

    /// <summary>
    /// Takes what is queued into one batch (up to <see cref="NodeOptions.MaxBatchCommands"/> commands or
    /// <see cref="NodeOptions.MaxBatchBytes"/>), running maintenance actions met on the way: the group commit.
    /// </summary>
    private void DrainInto(List<Proposal> batch)
    {
        var reader = _proposals.Reader;
        long bytes = 0;
        while (batch.Count < _options.MaxBatchCommands && bytes < _options.MaxBatchBytes && reader.TryRead(out var proposal))
        {
            if (proposal.Action is { } action)
            {
                RunAction(action);
                continue;
            }

            batch.Add(proposal);
            bytes += EstimateBytes(proposal.Command!);
        }
    }

    private void RunAction(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex)
        {
            Log.MaintenanceFailed(_logger, ex);
        }
    }

    private static void FailAll(List<Proposal> batch, Exception cause)
    {
        // After a failed fsync or apply nobody knows whether the entry is on disk: the outcome is unknown, and the
        // client's retry with the same request id is the safe way on (after a restart, replay answers it once).
        var error = new StatehouseException(ErrorCode.Unavailable, $"The node stopped taking writes (outcome of this write unknown; retry with the same request id): {cause.Message}", cause);
        foreach (var p in batch)
        {
            p.Completion.TrySetException(error);
        }
    }

    private static long EstimateBytes(Command command) => command switch
    {
        PutCommand p => p.Key.Length + p.Value.Length + 32,
        TxnCommand t => 64 + t.Success.Sum(EstimateBytes) + t.Failure.Sum(EstimateBytes),
        DeleteCommand d => d.Key.Length + 32,
        IncrementCommand i => i.Key.Length + 32,
        _ => 64,
    };

    /// <summary>Keeps the leader-side lease deadlines in step with what the batch granted, attached and ended.</summary>
    private void TrackLeases(IReadOnlyList<Command> commands, IReadOnlyList<CommandResult> results)
    {
        var now = NowMs();
        var view = _machine.View;
        for (var i = 0; i < commands.Count; i++)
        {
            Track(commands[i], results[i]);
        }

        void Track(Command command, CommandResult result)
        {
            switch (command, result)
            {
                case (_, ErrorResult):
                    return;
                case (LeaseGrantCommand, LeaseGrantResult granted):
                    _leaseClock.Track(granted.LeaseId, granted.TtlSeconds, now);
                    return;
                case (PutCommand, PutResult { Lease: > 0 } put):
                    if (view.Leases.TryGetValue(put.Lease, out var lease))
                    {
                        _leaseClock.Track(lease.Id, lease.TtlSeconds, now);
                    }

                    return;
                case (LeaseRevokeCommand revoke, _):
                    _leaseClock.Forget(revoke.LeaseId);
                    return;
                case (LeaseExpireCommand, LeaseExpireResult expired):
                    foreach (var id in expired.Expired)
                    {
                        _leaseClock.Forget(id);
                    }

                    return;
                case (TxnCommand txn, TxnResult txnResult):
                    var ops = txnResult.Succeeded ? txn.Success : txn.Failure;
                    for (var j = 0; j < ops.Count && j < txnResult.Results.Count; j++)
                    {
                        Track(ops[j], txnResult.Results[j]);
                    }

                    return;
            }
        }
    }

    /// <summary>Posts an action to run on the apply loop between batches.</summary>
    private ValueTask PostAsync(Action action, CancellationToken cancellationToken) =>
        _raftLog is { } raftLog
            ? raftLog.RunExclusiveAsync(action, cancellationToken)
            : _proposals.Writer.WriteAsync(new Proposal(null, action), cancellationToken);
}
