using Statehouse.Raft;
using Statehouse.Simulator.Core;

namespace Statehouse.Simulator.Disk;

/// <summary>
/// One member's model storage: the core reads the volatile image (everything written, as a page cache would show
/// it); writes become durable only when <see cref="Sync"/> covers them; <see cref="Crash"/> throws away what was not
/// synced, or keeps a torn prefix of it.
/// </summary>
internal sealed class SimStorage : IRaftLogStorage
{
    private readonly List<DiskOp> _unsynced = [];
    private DiskImage _volatile;
    private DiskImage _durable;

    /// <summary>Empty disks of a member that bootstraps with <paramref name="bootstrap"/> (empty for a joiner).</summary>
    public SimStorage(Configuration bootstrap)
    {
        _volatile = new DiskImage(bootstrap);
        _durable = new DiskImage(bootstrap);
    }

    /// <summary>What was written (what the core and the host read).</summary>
    public DiskImage Image => _volatile;

    /// <summary>Writes not yet covered by an fsync.</summary>
    public int UnsyncedWrites => _unsynced.Count;

    /// <inheritdoc />
    public LogIndex FirstIndex => _volatile.FirstIndex;

    /// <inheritdoc />
    public LogIndex LastIndex => _volatile.LastIndex;

    /// <inheritdoc />
    public SnapshotMeta? Snapshot => _volatile.Snapshot;

    /// <inheritdoc />
    /// <remarks>
    /// The state machine is not persisted apart from snapshots: a restarted host rebuilds it from the snapshot and
    /// the core hands it the committed entries again from there.
    /// </remarks>
    public RaftInitialState InitialState() =>
        new(_volatile.HardState, _volatile.Snapshot, _volatile.Bootstrap, _volatile.SnapshotIndex);

    /// <inheritdoc />
    public bool TryGetTerm(LogIndex index, out Term term) => _volatile.TryGetTerm(index, out term);

    /// <inheritdoc />
    public void GetEntries(LogIndex from, LogIndex toExclusive, long maxBytes, List<Entry> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        SimulatorAssert.That(from > _volatile.SnapshotIndex && toExclusive <= _volatile.LastIndex.Next && from < toExclusive,
            $"the core read [{from}, {toExclusive}) outside the stored [{FirstIndex}, {LastIndex}]");
        long bytes = 0;
        for (var index = from; index < toExclusive; index = index.Next)
        {
            if (!Entry.AddWithinLimit(into, _volatile.At(index).Entry, maxBytes, ref bytes))
            {
                return;
            }
        }
    }

    /// <inheritdoc />
    public bool TryReadSnapshotChunk(SnapshotMeta snapshot, long offset, int maxBytes, out ReadOnlyMemory<byte> chunk)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var current = _volatile.Snapshot;
        if (current is null || !current.SameSnapshot(snapshot))
        {
            chunk = default;
            return false;
        }

        var data = _volatile.SnapshotData!;
        SimulatorAssert.That(offset >= 0 && offset <= data.Length, "a snapshot chunk was read outside the data");
        chunk = data.AsMemory((int)offset, (int)Math.Min(maxBytes, data.Length - offset));
        return true;
    }

    /// <summary>Writes <paramref name="op"/> (visible at once, durable after the next sync).</summary>
    public void Write(DiskOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        _volatile.Apply(op);
        _unsynced.Add(op);
    }

    /// <summary>An fsync completed: every write so far is durable.</summary>
    public void Sync()
    {
        foreach (var op in _unsynced)
        {
            _durable.Apply(op);
        }

        _unsynced.Clear();
    }

    /// <summary>
    /// The machine stopped: the volatile image becomes what the disk really holds — the durable image plus, when
    /// <paramref name="keepFraction"/> is above 0, a prefix of the unsynced writes that may end inside a batch of entries.
    /// </summary>
    /// <returns>How many units of unsynced writes were lost.</returns>
    public int Crash(double keepFraction)
    {
        SimulatorAssert.That(keepFraction is >= 0 and <= 1, "a fraction");
        var units = _unsynced.Sum(op => op.Units);
        var keep = (int)Math.Floor(units * keepFraction);
        var kept = 0;
        foreach (var op in _unsynced)
        {
            if (kept >= keep)
            {
                break;
            }

            var take = Math.Min(op.Units, keep - kept);
            _durable.ApplyPrefix(op, take);
            kept += take;
        }

        _unsynced.Clear();
        _volatile = _durable.Clone();
        return units - kept;
    }
}
