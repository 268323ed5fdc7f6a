using System.Collections.Immutable;
using Statehouse.Core.Model;

namespace Statehouse.Core.Store;

/// <summary>
/// The deterministic state machine: the same batches in the same order give the same state on every replica.
/// <c>Apply</c> reads no clock, no random source and no network; time enters as the batch's leader timestamp.
/// </summary>
/// <remarks>
/// Threading: <see cref="Apply"/>, <see cref="AdvanceAppliedIndex"/> and <see cref="Restore"/> are called by one thread
/// (the node's apply loop). <see cref="View"/> and <see cref="History"/> may be read from any thread.
/// </remarks>
public sealed partial class StateMachine
{
    private readonly StoreLimits _limits;
    private readonly List<WatchEvent> _batchEvents = [];

    private ImmutableDictionary<string, KeyspaceState> _keyspaces;
    private ImmutableDictionary<long, LeaseState> _leases = ImmutableDictionary<long, LeaseState>.Empty;
    private ImmutableDictionary<string, IdempotencyEntry> _requests = ImmutableDictionary<string, IdempotencyEntry>.Empty;
    private ImmutableQueue<IdempotencyEntry> _requestOrder = ImmutableQueue<IdempotencyEntry>.Empty;
    private long _revision;
    private long _compactRevision;
    private long _nextLeaseId = 1;
    private long _appliedIndex;

    // Per top-level command: the revision its writes get and whether it wrote anything.
    private long _pendingRevision;
    private bool _changed;
    private int _sequence;

    private volatile StoreView _view;

    /// <summary>Creates an empty state with the default keyspace.</summary>
    public StateMachine(StoreLimits? limits = null)
    {
        _limits = limits ?? StoreLimits.Default;
        _keyspaces = ImmutableDictionary<string, KeyspaceState>.Empty
            .Add(KeyspaceConfig.DefaultName, KeyspaceState.Create(new KeyspaceConfig(KeyspaceConfig.DefaultName)));
        _view = BuildView();
    }

    /// <summary>The latest published state.</summary>
    public StoreView View => _view;

    /// <summary>The change history watchers read.</summary>
    public EventHistory History { get; } = new();

    /// <summary>The limits in force.</summary>
    public StoreLimits Limits => _limits;

    /// <summary>
    /// When false, the compactor leaves version chains alone (a snapshot is being written from an older view).
    /// Not part of the replicated state: trimming changes no answer any reader can get.
    /// </summary>
    public bool PhysicalCompactionEnabled { get; set; } = true;

    /// <summary>Most compacted events trimmed per applied batch, so compaction never stalls writes.</summary>
    public int CompactionEventsPerBatch { get; set; } = 4096;

    /// <summary>Applies one log entry's batch and publishes the new view. Returns one result per command.</summary>
    public IReadOnlyList<CommandResult> Apply(CommandBatch batch, long index)
    {
        Invariant.Assert(index > _appliedIndex);
        Invariant.Assert(_batchEvents.Count == 0);

        ForgetOldRequests(batch.TimestampMs);
        var results = new CommandResult[batch.Commands.Count];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = ApplyTopLevel(batch.Commands[i], batch.TimestampMs);
        }

        _appliedIndex = index;
        Publish();
        return results;
    }

    /// <summary>Records that a log entry without a command (a no-op or configuration entry) was applied.</summary>
    public void AdvanceAppliedIndex(long index)
    {
        Invariant.Assert(index > _appliedIndex);
        _appliedIndex = index;
        Publish();
    }

    private void Publish()
    {
        History.Append(_batchEvents);
        _batchEvents.Clear();
        if (PhysicalCompactionEnabled && History.HasCompactedEvents)
        {
            TrimCompacted(CompactionEventsPerBatch);
        }

        _view = BuildView();
    }

    private StoreView BuildView() =>
        new(_appliedIndex, _revision, _compactRevision, _nextLeaseId, _keyspaces, _leases, _requests, _requestOrder, _limits, History);

    private CommandResult ApplyTopLevel(Command command, long timestampMs)
    {
        var requestId = command.RequestId;
        ulong fingerprint = 0;
        if (requestId is not null)
        {
            if (requestId.Length == 0 || requestId.Length > _limits.MaxRequestIdLength)
            {
                return Stamp(Error(ErrorCode.InvalidArgument, $"Request id must be 1..{_limits.MaxRequestIdLength} characters."));
            }

            fingerprint = Fingerprint(command);
            if (_requests.TryGetValue(requestId, out var remembered))
            {
                // A retry: answer with the first result and change nothing — unless the id now names another request.
                return remembered.Fingerprint == fingerprint
                    ? remembered.Result
                    : Stamp(Error(ErrorCode.InvalidArgument, $"Request id '{requestId}' was already used for a different request."));
            }
        }

        var saved = Save();
        var eventMark = _batchEvents.Count;
        _pendingRevision = _revision + 1;
        _changed = false;
        _sequence = 0;

        var result = command switch
        {
            TxnCommand txn => ApplyTxn(txn),
            TxnOperation op => ApplyOperation(op),
            LeaseGrantCommand grant => ApplyLeaseGrant(grant),
            LeaseRevokeCommand revoke => ApplyLeaseRevoke(revoke),
            LeaseExpireCommand expire => ApplyLeaseExpire(expire),
            CompactCommand compact => ApplyCompact(compact),
            CreateKeyspaceCommand create => ApplyCreateKeyspace(create),
            _ => Error(ErrorCode.InvalidArgument, $"Unknown command {command.GetType().Name}."),
        };

        if (result is ErrorResult)
        {
            // Nothing of a failed command is applied.
            Rollback(saved);
            _batchEvents.RemoveRange(eventMark, _batchEvents.Count - eventMark);
        }
        else if (_changed)
        {
            _revision = _pendingRevision;
        }

        result = Stamp(result);
        if (requestId is not null)
        {
            Remember(new IdempotencyEntry(requestId, timestampMs, result, fingerprint));
        }

        return result;
    }

    private readonly System.Buffers.ArrayBufferWriter<byte> _fingerprintBuffer = new(256);

    /// <summary>FNV-1a over the command's binary encoding: the same request retried gives the same value.</summary>
    private ulong Fingerprint(Command command)
    {
        _fingerprintBuffer.ResetWrittenCount();
        Codecs.CommandCodec.WriteCommand(new Codecs.BinaryEncoder(_fingerprintBuffer), command);
        var hash = 14695981039346656037UL;
        foreach (var b in _fingerprintBuffer.WrittenSpan)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    private CommandResult Stamp(CommandResult result) => result.Revision == _revision ? result : result with { Revision = _revision };

    private static ErrorResult Error(ErrorCode code, string message) => new(code, message);

    private readonly record struct SavedState(
        ImmutableDictionary<string, KeyspaceState> Keyspaces,
        ImmutableDictionary<long, LeaseState> Leases,
        long NextLeaseId,
        long CompactRevision);

    private SavedState Save() => new(_keyspaces, _leases, _nextLeaseId, _compactRevision);

    private void Rollback(SavedState saved)
    {
        _keyspaces = saved.Keyspaces;
        _leases = saved.Leases;
        _nextLeaseId = saved.NextLeaseId;
        Invariant.Assert(saved.CompactRevision == _compactRevision);
        _changed = false;
    }

    private void Remember(IdempotencyEntry entry)
    {
        _requests = _requests.SetItem(entry.RequestId, entry);
        _requestOrder = _requestOrder.Enqueue(entry);
        while (_requests.Count > _limits.IdempotencyMaxEntries)
        {
            ForgetOldest();
        }
    }

    private void ForgetOldRequests(long nowMs)
    {
        var horizon = nowMs - _limits.IdempotencyWindowMs;
        while (!_requestOrder.IsEmpty && _requestOrder.Peek().TimestampMs < horizon)
        {
            ForgetOldest();
        }
    }

    private void ForgetOldest()
    {
        _requestOrder = _requestOrder.Dequeue(out var oldest);

        // The same id may have been remembered again later; only drop the entry this queue item stands for.
        if (_requests.TryGetValue(oldest.RequestId, out var current) && ReferenceEquals(current, oldest))
        {
            _requests = _requests.Remove(oldest.RequestId);
        }
    }
}
