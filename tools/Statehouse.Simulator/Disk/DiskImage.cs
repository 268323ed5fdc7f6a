using Statehouse.Raft;
using Statehouse.Simulator.Core;

namespace Statehouse.Simulator.Disk;

/// <summary>
/// What one member's disk holds: hard state, latest snapshot (with data), the entries after it, and a snapshot being
/// received (staging). Two copies exist per member: the volatile image (what was written) and the durable one (what
/// an fsync covered).
/// </summary>
internal sealed class DiskImage : Checks.IStoredLog
{
    private List<StoredEntry> _entries;

    public DiskImage(Configuration bootstrap)
    {
        Bootstrap = bootstrap;
        _entries = [];
        SnapshotChain = Fnv.Basis;
    }

    private DiskImage(DiskImage other)
    {
        Bootstrap = other.Bootstrap;
        HardState = other.HardState;
        Snapshot = other.Snapshot;
        SnapshotData = other.SnapshotData;
        SnapshotChain = other.SnapshotChain;
        StagingMeta = other.StagingMeta;
        StagingData = other.StagingData;
        _entries = [.. other._entries];
    }

    /// <summary>The membership a member starts with when its log holds none (the initial voters, or empty for a joiner).</summary>
    public Configuration Bootstrap { get; }

    public HardState HardState { get; private set; }

    public SnapshotMeta? Snapshot { get; private set; }

    /// <summary>The data of <see cref="Snapshot"/> (never empty).</summary>
    public byte[]? SnapshotData { get; private set; }

    /// <summary>The log's hash chain at the snapshot's index (the FNV basis before any snapshot).</summary>
    public ulong SnapshotChain { get; private set; }

    /// <summary>The snapshot being received, if any.</summary>
    public SnapshotMeta? StagingMeta { get; private set; }

    /// <summary>The bytes received of it (immutable; replaced on each append).</summary>
    public byte[] StagingData { get; private set; } = [];

    public LogIndex SnapshotIndex => Snapshot?.Index ?? LogIndex.Zero;

    public Term SnapshotTerm => Snapshot?.Term ?? Term.Zero;

    public LogIndex FirstIndex => SnapshotIndex.Next;

    public LogIndex LastIndex => SnapshotIndex + (ulong)_entries.Count;

    public IReadOnlyList<StoredEntry> Entries => _entries;

    public DiskImage Clone() => new(this);

    /// <summary>The stored entry at <paramref name="index"/> (FirstIndex ≤ index ≤ LastIndex).</summary>
    public StoredEntry At(LogIndex index)
    {
        SimulatorAssert.That(index > SnapshotIndex && index <= LastIndex, "an entry outside the stored log was read");
        return _entries[(int)(index - SnapshotIndex) - 1];
    }

    /// <summary>The hash chain at <paramref name="index"/> (FirstIndex − 1 ≤ index ≤ LastIndex).</summary>
    public ulong ChainAt(LogIndex index) => index == SnapshotIndex ? SnapshotChain : At(index).Chain;

    public bool TryGetTerm(LogIndex index, out Term term)
    {
        if (index == SnapshotIndex)
        {
            term = SnapshotTerm;
            return true;
        }

        if (index < SnapshotIndex || index > LastIndex)
        {
            term = Term.Zero;
            return false;
        }

        term = At(index).Entry.Term;
        return true;
    }

    /// <summary>Applies one write (the same code for the volatile and the durable image, so they agree on every prefix).</summary>
    public void Apply(DiskOp op)
    {
        switch (op)
        {
            case AppendChunkOp { Chunk: var chunk }:
                if (chunk.Offset == 0 || StagingMeta is null || !StagingMeta.SameSnapshot(chunk.Snapshot))
                {
                    StagingMeta = chunk.Snapshot;
                    StagingData = [];
                }

                // Appended where the staging area ends, as a file append would: a chunk written twice shows up twice.
                StagingData = [.. StagingData, .. chunk.Data.Span];
                break;
            case InstallSnapshotOp install:
                SimulatorAssert.That(StagingMeta is not null && StagingMeta.SameSnapshot(install.Meta), "a snapshot was installed without its staged data");
                Snapshot = install.Meta;
                SnapshotData = StagingData;
                SnapshotChain = install.Chain;
                StagingMeta = null;
                StagingData = [];
                _entries.Clear();
                break;
            case AppendEntriesOp { Entries: var entries }:
                AppendEntries(entries);
                break;
            case HardStateOp { HardState: var hardState }:
                HardState = hardState;
                break;
            case CompactOp compact:
                Compact(compact.Meta, compact.Data);
                break;
            default:
                throw new SimulatorAssertException($"unknown disk write {op}");
        }
    }

    /// <summary>Applies the first <paramref name="units"/> units of <paramref name="op"/> (a torn write).</summary>
    public void ApplyPrefix(DiskOp op, int units)
    {
        SimulatorAssert.That(units >= 0 && units <= op.Units, "a torn write keeps a prefix of its units");
        if (units == 0)
        {
            return;
        }

        if (op is AppendEntriesOp { Entries: var entries } && units < entries.Length)
        {
            AppendEntries(entries.AsSpan(0, units).ToArray());
            return;
        }

        Apply(op);
    }

    private void AppendEntries(StoredEntry[] entries)
    {
        SimulatorAssert.That(entries.Length > 0, "an empty append was written");
        var first = entries[0].Entry.Index;
        SimulatorAssert.That(first > SnapshotIndex && first <= LastIndex.Next, "appended entries do not continue the stored log");
        var keep = (int)(first - SnapshotIndex) - 1;
        _entries.RemoveRange(keep, _entries.Count - keep);
        _entries.AddRange(entries);
    }

    private void Compact(SnapshotMeta meta, byte[] data)
    {
        SimulatorAssert.That(meta.Index > SnapshotIndex && meta.Index <= LastIndex, "a snapshot compacts inside the stored log");
        SimulatorAssert.That(data.Length > 0 && data.Length == meta.SizeBytes, "snapshot data is never empty and has its size");
        var drop = (int)(meta.Index - SnapshotIndex);
        SnapshotChain = _entries[drop - 1].Chain;
        SimulatorAssert.That(_entries[drop - 1].Entry.Term == meta.Term, "a snapshot's term is its last entry's");
        Snapshot = meta;
        SnapshotData = data;
        _entries = _entries.GetRange(drop, _entries.Count - drop);
    }
}
