using Statehouse.Raft;
using Statehouse.Storage.Groups;

namespace Statehouse.Replication;

public sealed partial class ReplicaHost
{
    private readonly List<Message> _outbox = [];
    private readonly List<HostedGroup> _ready = [];

    // Groups that may have work (an input, a tick, a finished Ready, a saved snapshot, a removal) since the last
    // round: a round looks at these only, in id order, so an idle group costs nothing between ticks.
    private readonly SortedSet<ulong> _dirty = [];
    private (PersistBatch Batch, List<HostedGroup> Groups)? _inFlight;
    private long _nextBatchId = 1;

    /// <summary>
    /// Runs scheduler rounds until no group has work or a batch is in flight: take every ready group's Ready, send
    /// its messages, put its writes into one batch for the store. Call it after inputs and completions.
    /// </summary>
    public void Pump()
    {
        ThrowIfFailed();

        // Bounded: a round without a write finishes its Readys and goes again only if that produced new work; a long
        // run of such rounds (a large backlog of committed entries) yields, and the next call goes on.
        for (var round = 0; round < 1_000; round++)
        {
            if (_inFlight is not null || !Round())
            {
                return;
            }
        }
    }

    /// <summary>The store made batch <paramref name="batchId"/> durable: publish it and finish its groups' Readys.</summary>
    public void OnPersisted(long batchId)
    {
        ThrowIfFailed();
        if (_inFlight is not { } flight || flight.Batch.Id != batchId)
        {
            throw new InvalidOperationException($"Batch {batchId} is not the one in flight ({_inFlight?.Batch.Id.ToString() ?? "none"}).");
        }

        var (batch, groups) = flight;
        foreach (var removed in batch.Operations.OfType<RemoveGroupOperation>())
        {
            _departing.Remove(removed.Group);
        }

        _store.Publish(batch);
        _inFlight = null;
        foreach (var compact in batch.Operations.OfType<CompactOperation>())
        {
            if (_groups.TryGetValue(compact.Group, out var compacted) && compacted.CompactionInFlight)
            {
                compacted.CompactionInFlight = false;
                MarkDirty(compacted);
            }
        }

        foreach (var group in groups)
        {
            if (batch.Installs.Any(i => i.Group == group.Id))
            {
                Statistics.SnapshotsInstalled++;
            }

            Finish(group);
        }

        Flush();
        Pump();
    }

    /// <summary>The store saved a snapshot the host asked for: its Compact record goes into the next batch.</summary>
    public void OnSnapshotSaved(SnapshotRequest request, SnapshotMeta snapshot)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(snapshot);
        ThrowIfFailed();
        if (!_groups.TryGetValue(request.Group.Value, out var hosted) || hosted.Descriptor.Member != request.Member || hosted.Removing)
        {
            return;
        }

        hosted.SnapshotInProgress = false;
        MarkDirty(hosted);
        Statistics.SnapshotsSaved++;
        if (snapshot.Index > hosted.Storage.CompactIndex && (hosted.PendingCompaction is null || snapshot.Index > hosted.PendingCompaction.Index))
        {
            hosted.PendingCompaction = snapshot;
        }

        Pump();
    }

    /// <summary>One round; returns whether it finished without a write and may have left new work.</summary>
    private bool Round()
    {
        var batch = new PersistBatch { Id = _nextBatchId };
        var candidates = new List<HostedGroup>(_dirty.Count);
        foreach (var id in _dirty)
        {
            if (_groups.TryGetValue(id, out var dirty))
            {
                candidates.Add(dirty);
            }
        }

        _dirty.Clear();
        foreach (var gone in candidates.Where(g => g.Removing && g.InFlight is null).ToList())
        {
            candidates.Remove(gone);
            _groups.Remove(gone.Id.Value);
            if (_created.RemoveAll(d => d.Group == gone.Id) == 0)
            {
                batch.Operations.Add(new RemoveGroupOperation(gone.Id.Value));
                _departing.Add(gone.Id.Value);
            }
        }

        batch.Created.AddRange(_created);
        _created.Clear();
        _ready.Clear();
        long bytes = 0;
        for (var i = 0; i < candidates.Count; i++)
        {
            var group = candidates[i];
            if (bytes >= _options.MaxBatchBytes)
            {
                // The rest go in the next round.
                for (var rest = i; rest < candidates.Count; rest++)
                {
                    MarkDirty(candidates[rest]);
                }

                break;
            }

            Invariant.Assert(group.InFlight is null, "no Ready is in flight when a round starts");
            if (group.Removing || !group.Core.HasReady)
            {
                continue;
            }

            var ready = group.Core.GetReady();
            group.InFlight = ready;
            _ready.Add(group);

            // (1) What may go out at once.
            Queue(ready.Messages);
            if ((_hostBugs & HostPlantedBug.SendBeforeDurable) != 0)
            {
                Queue(ready.MessagesAfterPersist);
            }

            if ((_hostBugs & HostPlantedBug.ApplyBeforeCommit) != 0 && group.Core.Role == RaftRole.Leader)
            {
                foreach (var entry in ready.Entries)
                {
                    if (entry.Index == group.Applied.Next)
                    {
                        group.Machine.Apply(entry);
                        group.Applied = entry.Index;
                    }
                }
            }
            if (ready.RoleChange is { } change)
            {
                group.Machine.OnRoleChanged(change.Leader, change.Role);
            }

            // (2) What must be persisted, in the contract's order: chunks, the snapshot to install, entries, hard state.
            bytes += AddWrites(group, ready, batch);
        }

        foreach (var group in candidates)
        {
            if (!group.Removing)
            {
                AddCompaction(group, batch);
            }
        }

        Flush();
        if (_ready.Count > 0)
        {
            Statistics.Rounds++;
        }

        // A Ready without writes needs no fsync: it finishes now (its committed entries are stored already).
        var persisting = new List<HostedGroup>();
        foreach (var group in _ready)
        {
            if (HasWrites(group.InFlight!))
            {
                persisting.Add(group);
            }
            else
            {
                Statistics.ReadysWithoutWrite++;
                Finish(group);
            }
        }

        Flush();
        if (batch.IsEmpty)
        {
            Invariant.Assert(persisting.Count == 0, "a Ready with writes has them in the batch");
            return _ready.Count > 0;
        }

        _nextBatchId++;
        _inFlight = (batch, persisting);
        Statistics.Batches++;
        Statistics.ReadysPersisted += persisting.Count;
        try
        {
            _store.Persist(batch);
        }
        catch (Exception e) when (e is IOException or GroupLogViolationException or ArgumentException or InvalidOperationException)
        {
            // Nothing of the batch is acknowledged: its Readys never finish, and the host stops.
            OnStoreFailed(e);
            throw new InvalidOperationException("The replica store refused a batch; the host stopped.", e);
        }

        return false;
    }

    private static bool HasWrites(Ready ready) =>
        ready.Entries.Count > 0 || ready.HardState is not null || ready.SnapshotChunks.Count > 0 || ready.SnapshotToInstall is not null;

    private static long AddWrites(HostedGroup group, Ready ready, PersistBatch batch)
    {
        long bytes = 0;
        foreach (var chunk in ready.SnapshotChunks)
        {
            batch.Chunks.Add((group.Id, chunk));
            bytes += chunk.Data.Length;
        }

        if (ready.SnapshotToInstall is { } snapshot)
        {
            batch.Installs.Add((group.Id, snapshot));
            batch.Operations.Add(new CompactOperation(group.Id.Value, snapshot.Index.Value, snapshot.Term.Value));

            // A snapshot saved here before is older than or equal to what the leader sent: it compacts nothing more.
            if (group.PendingCompaction is { } pending && pending.Index <= snapshot.Index)
            {
                group.PendingCompaction = null;
            }
        }

        if (ready.Entries.Count > 0)
        {
            batch.Operations.Add(GroupStorage.ToOperation(group.Id, ready.Entries));
            foreach (var entry in ready.Entries)
            {
                bytes += entry.SizeBytes;
            }
        }

        if (ready.HardState is { } hardState)
        {
            batch.Operations.Add(new HardStateOperation(group.Id.Value, hardState.Term.Value, hardState.VotedFor.Value, hardState.Commit.Value));
            bytes += 32;
        }

        batch.MustSync |= ready.MustSync;
        return bytes;
    }

    /// <summary>A saved snapshot's Compact record, once it still moves the compaction point forward.</summary>
    private static void AddCompaction(HostedGroup group, PersistBatch batch)
    {
        if (group.PendingCompaction is not { } snapshot)
        {
            return;
        }

        group.PendingCompaction = null;
        if (snapshot.Index <= group.Storage.CompactIndex)
        {
            return;
        }

        batch.Operations.Add(new CompactOperation(group.Id.Value, snapshot.Index.Value, snapshot.Term.Value));
        group.CompactionInFlight = true;
    }

    /// <summary>Steps 3–5 of the Ready contract for a group whose writes are durable (or that had none).</summary>
    private void Finish(HostedGroup group)
    {
        var ready = group.InFlight!;

        // (3) Votes and acknowledgements promise what is durable now.
        if ((_hostBugs & HostPlantedBug.SendBeforeDurable) == 0)
        {
            Queue(ready.MessagesAfterPersist);
        }

        // (4) Apply: a snapshot installed replaces the state; committed entries follow in order; then the reads.
        if (ready.SnapshotToInstall is { } snapshot)
        {
            using var data = _store.Snapshots(group.Id).OpenRead(snapshot);
            group.Machine.Restore(snapshot, data);
            group.Applied = snapshot.Index;
            while (group.WaitingReads.Count > 0 && group.WaitingReads.Peek().Index <= group.Applied)
            {
                group.Machine.OnReadReady(group.WaitingReads.Dequeue().RequestId);
            }
        }

        foreach (var entry in ready.CommittedEntries)
        {
            if ((_hostBugs & HostPlantedBug.ApplyBeforeCommit) != 0 && entry.Index <= group.Applied)
            {
                continue;
            }

            Invariant.Assert(entry.Index == group.Applied.Next, "committed entries are applied in order, once");
            group.Machine.Apply(entry);
            group.Applied = entry.Index;
        }

        foreach (var read in ready.ReadStates)
        {
            group.WaitingReads.Enqueue(read);
        }

        while (group.WaitingReads.Count > 0 && group.WaitingReads.Peek().Index <= group.Applied)
        {
            group.Machine.OnReadReady(group.WaitingReads.Dequeue().RequestId);
        }

        foreach (var failed in ready.FailedReads)
        {
            group.Machine.OnReadFailed(failed.RequestId, failed.Leader);
        }

        // (5) Done: the core takes calls again, first the ones that waited.
        group.Core.Advance(ready);
        group.InFlight = null;
        MarkDirty(group);
        if (group.Removing)
        {
            return;
        }

        // Before any new input: a queued message may carry a snapshot that moves the core past what was applied.
        MaybeSnapshot(group);
        for (; group.QueuedTicks > 0; group.QueuedTicks--)
        {
            group.Core.Tick();
        }

        while (group.Queued.Count > 0)
        {
            Execute(group, group.Queued.Dequeue());
        }
    }

    private void MaybeSnapshot(HostedGroup group)
    {
        if (group.SnapshotInProgress || group.PendingCompaction is not null || group.CompactionInFlight)
        {
            return;
        }

        // Only committed state is snapshotted (a correct host never applies beyond the commit index; the planted
        // ApplyBeforeCommit does, and must then be caught by what its clients saw, not by its snapshots).
        var compact = group.Storage.CompactIndex;
        if (group.Applied <= compact || group.Applied > group.Core.CommitIndex)
        {
            return;
        }

        var retained = group.Storage.Stored?.RetainedBytes ?? 0;
        if (group.Applied - compact < (ulong)_options.SnapshotEveryEntries && retained < _options.SnapshotRetainedBytes)
        {
            return;
        }

        var found = group.Storage.TryGetTerm(group.Applied, out var term);
        Invariant.Assert(found, "an applied entry is stored");
        group.SnapshotInProgress = true;
        var capture = (_hostBugs & HostPlantedBug.CaptureNotFrozen) != 0 ? new UnfrozenCapture(group.Machine) : group.Machine.Capture();
        _store.SaveSnapshot(new SnapshotRequest(group.Id, group.Descriptor.Member, group.Applied, term, group.Core.ConfigurationAt(group.Applied), capture));
    }

    private void Queue(IReadOnlyList<Message> messages) => _outbox.AddRange(messages);

    private void MarkDirty(HostedGroup group) => _dirty.Add(group.Id.Value);

    /// <summary>The planted bug <see cref="HostPlantedBug.CaptureNotFrozen"/>: reads the live state when written.</summary>
    private sealed class UnfrozenCapture(IGroupStateMachine machine) : IStateCapture
    {
        public void WriteTo(Stream destination) => machine.Capture().WriteTo(destination);
    }

    /// <summary>Sends what the round queued, every group's messages in one call (the transport batches per node).</summary>
    private void Flush()
    {
        if (_outbox.Count == 0)
        {
            return;
        }

        Statistics.Sends++;
        Statistics.MessagesSent += _outbox.Count;
        _transport.Send(_outbox.ToArray());
        _outbox.Clear();
    }
}
