using Statehouse.Raft;
using Statehouse.Simulator.Checks;
using Statehouse.Simulator.Core;
using Statehouse.Simulator.Disk;
using Statehouse.Simulator.Workloads;

namespace Statehouse.Simulator.Hosts;

internal sealed partial class ModelHost
{
    /// <summary>Steps 1–2 of the Ready contract; step 3 onwards once the fsync (if one is needed) completes.</summary>
    private void HandleReady()
    {
        var core = Core!;
        var ready = core.GetReady();
        _world.Log?.WriteLine($"{_world.NowUs} {Member}/{Group} ready: {core.Role} {core.Term} entries {ready.Entries.Count}{(ready.Entries.Count > 0 ? $" [{ready.Entries[0].Index}..{ready.Entries[^1].Index}]" : string.Empty)} hs {ready.HardState?.ToString() ?? "-"} " +
            $"apply {ready.CommittedEntries.Count}{(ready.CommittedEntries.Count > 0 ? $" [{ready.CommittedEntries[0].Index}..{ready.CommittedEntries[^1].Index}]" : string.Empty)} chunks {ready.SnapshotChunks.Count} install {ready.SnapshotToInstall?.ToString() ?? "-"} " +
            $"msgs {ready.Messages.Count}+{ready.MessagesAfterPersist.Count} reads {ready.ReadStates.Count}/{ready.FailedReads.Count} sync {ready.MustSync}");

        // (1) Messages that may go out at once.
        foreach (var message in ready.Messages)
        {
            _world.SendRaft(Node, message);
        }

        // (2) Persist, in the contract's order: snapshot chunks, the snapshot to install, entries, hard state.
        foreach (var chunk in ready.SnapshotChunks)
        {
            Storage.Write(new AppendChunkOp(chunk));
        }

        if (ready.SnapshotToInstall is { } snapshot)
        {
            InstallSnapshot(snapshot);
        }

        if (ready.Entries.Count > 0)
        {
            StoreEntries(ready.Entries);
        }

        if (ready.HardState is { } hardState)
        {
            if (core.Role == RaftRole.Leader && hardState.Commit > Storage.Image.HardState.Commit
                && Storage.Image.TryGetTerm(hardState.Commit, out var committedTerm) && committedTerm != core.Term)
            {
                // Diagnostics only: a correct leader commits entries of its own term (thesis §3.6.2).
                _world.Count("leader commits at an earlier term's entry");
            }

            var committed = core.Role == RaftRole.Leader && hardState.Commit > Storage.Image.HardState.Commit;
            Storage.Write(new HardStateOp(hardState));
            if (committed)
            {
                _world.OnLeaderCommitted(this);
            }
        }

        if (_tookOfficeIn is { } term)
        {
            _tookOfficeIn = null;
            if (core.Role == RaftRole.Leader && core.Term == term)
            {
                // Its whole log is written now (storage + what was unstable): check it holds what must survive.
                _world.Monitor.CheckNewLeader(Group, term, Member, Storage.Image);
            }
        }

        if (ready.MustSync)
        {
            _persisting = ready;
            _world.StartSync(this, ++_syncId);
            return;
        }

        Finish(ready);
    }

    /// <summary>The fsync started for <paramref name="syncId"/> completed: the writes are durable; finish the Ready.</summary>
    public void OnSyncCompleted(long syncId)
    {
        if (_persisting is not { } ready || syncId != _syncId)
        {
            return;
        }

        Storage.Sync();
        _persisting = null;
        Finish(ready);
        Pump();
    }

    /// <summary>Steps 3–5: messages that waited for the persist, apply, reads, advance; then maybe a snapshot.</summary>
    private void Finish(Ready ready)
    {
        var core = Core!;

        // (3) Only now: votes and acknowledgements promise what is durable.
        foreach (var message in ready.MessagesAfterPersist)
        {
            _world.SendRaft(Node, message);
        }

        // (4) Apply in order, then the reads that were waiting for it.
        foreach (var entry in ready.CommittedEntries)
        {
            ApplyEntry(entry);
        }

        foreach (var read in ready.ReadStates)
        {
            ReadConfirmed(read);
        }

        foreach (var failed in ready.FailedReads)
        {
            ReadFailed(failed);
        }

        ServeWaitingReads();

        // (5) Everything the Ready asked is done.
        core.Advance(ready);
        AfterCoreCall();
        MaybeSnapshot();
    }

    private void StoreEntries(IReadOnlyList<Entry> entries)
    {
        var image = Storage.Image;
        var first = entries[0].Index;
        SimulatorAssert.That(first > image.SnapshotIndex && first <= image.LastIndex.Next, "the core's entries continue the stored log");
        var chain = image.ChainAt(first.Previous);
        var stored = new StoredEntry[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            SimulatorAssert.That(entry.Index == first + (ulong)i, "a Ready's entries are contiguous");
            var hash = HashEntry(entry);
            chain = Fnv.Add(Fnv.Add(chain, hash), entry.Index.Value);
            stored[i] = new StoredEntry(entry, hash, chain);
            _world.Monitor.ObserveStored(Group, Member, stored[i]);
        }

        Storage.Write(new AppendEntriesOp(stored));
    }

    /// <summary>A hash of what an entry is (term, kind, data): equal entries hash equal wherever they are stored.</summary>
    internal static ulong HashEntry(Entry entry)
    {
        var hash = Fnv.Add(Fnv.Basis, entry.Term.Value);
        hash = Fnv.Add(hash, (ulong)entry.Kind);
        return Fnv.Hash(entry.Data.Span, hash);
    }

    private void InstallSnapshot(SnapshotMeta snapshot)
    {
        var image = Storage.Image;
        SimulatorAssert.That(image.StagingMeta is not null && image.StagingMeta.SameSnapshot(snapshot), "a snapshot to install has staged data");
        var data = image.StagingData;

        // The receiving host checks what it received against the sender's checksum before it trusts it.
        if (data.Length != snapshot.SizeBytes || Fnv.Hash(data) != snapshot.Checksum)
        {
            throw new ViolationException(new Violation("snapshot-checksum",
                $"{Member} of {Group} received {data.Length} bytes for {snapshot} whose checksum does not match (expected {snapshot.SizeBytes} bytes)", _world.NowUs));
        }

        SimulatorAssert.That(_world.Monitor.TryGetChain(Group, snapshot.Index, snapshot.Term, out var chain), "a snapshot's last entry was stored by some member");
        _world.Monitor.ObserveSnapshot(Group, Member, snapshot);
        Storage.Write(new InstallSnapshotOp(snapshot, chain));

        // The state machine is reset to the snapshot; writes proposed here below it can no longer be told apart.
        _machine = GroupStateMachine.Deserialize(data);
        _applied = snapshot.Index;
        foreach (var index in _pendingWrites.Keys.Where(i => i <= snapshot.Index.Value).ToList())
        {
            _pendingWrites.Remove(index);
        }
    }

    private void ApplyEntry(Entry entry)
    {
        SimulatorAssert.That(entry.Index == _applied.Next, $"{Member} of {Group} applies {entry.Index} after {_applied}");
        _world.Monitor.ObserveApplied(Group, Member, entry, HashEntry(entry));
        var took = false;
        Command? command = null;
        if (entry.Kind == EntryKind.Command)
        {
            command = Command.Decode(entry.Data.Span);
            took = _machine.Apply(command);
        }

        _applied = entry.Index;
        _world.OnApplied(this, entry);
        if (_pendingWrites.Remove(entry.Index.Value, out var pending))
        {
            AnswerWrite(pending, entry, command, took);
        }
    }

    private void MaybeSnapshot()
    {
        var core = Core;
        var image = Storage.Image;
        if (core is null || _applied - image.SnapshotIndex < (ulong)_world.Config.SnapshotEveryEntries)
        {
            return;
        }

        SimulatorAssert.That(image.TryGetTerm(_applied, out var term), "the applied entry is stored");
        var data = _machine.Serialize();
        var meta = new SnapshotMeta(_applied, term, core.ConfigurationAt(_applied), data.Length, Fnv.Hash(data));
        _world.Monitor.ObserveSnapshot(Group, Member, meta);

        // Durable with the next fsync of this member; until then a crash keeps the entries it covers.
        Storage.Write(new CompactOp(meta, data));
    }
}
