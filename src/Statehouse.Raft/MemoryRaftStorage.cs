namespace Statehouse.Raft;

/// <summary>
/// An in-memory <see cref="IRaftLogStorage"/> for tests, the simulator and benchmarks, with the writes a host makes:
/// <see cref="Apply(Ready)"/> stores what a <see cref="Ready"/> asks to persist; <see cref="Compact"/> drops entries
/// under a snapshot the host took.
/// </summary>
public sealed class MemoryRaftStorage : IRaftLogStorage
{
    private readonly List<Entry> _entries = [];
    private readonly Dictionary<(ulong Index, ulong Term), byte[]> _snapshots = [];
    private LogIndex _snapshotIndex;
    private Term _snapshotTerm;
    private HardState _hardState;
    private Configuration _bootstrap;
    private LogIndex _applied;
    private StagedSnapshot? _staging;

    /// <summary>
    /// Empty storage of a member that bootstraps with <paramref name="configuration"/>, or joins later with
    /// <see cref="Configuration.Empty"/> (it learns the membership from the configuration entries it receives, or from a snapshot).
    /// </summary>
    public MemoryRaftStorage(Configuration configuration) => _bootstrap = configuration;

    /// <summary>The hard state last stored.</summary>
    public HardState HardState => _hardState;

    /// <summary>The latest snapshot the host took or installed, with its data.</summary>
    public (SnapshotMeta Meta, byte[] Data)? LatestSnapshot { get; private set; }

    /// <summary>The applied index recorded for a restart (the host sets it as it applies).</summary>
    public LogIndex Applied
    {
        get => _applied;
        set => _applied = value;
    }

    /// <inheritdoc />
    public RaftInitialState InitialState() => new(_hardState, LatestSnapshot?.Meta, _bootstrap, LogIndex.Max(_applied, _snapshotIndex));

    /// <inheritdoc />
    public LogIndex FirstIndex => _snapshotIndex.Next;

    /// <inheritdoc />
    public LogIndex LastIndex => _snapshotIndex + (ulong)_entries.Count;

    /// <inheritdoc />
    public SnapshotMeta? Snapshot => LatestSnapshot?.Meta;

    /// <inheritdoc />
    public bool TryGetTerm(LogIndex index, out Term term)
    {
        if (index == _snapshotIndex)
        {
            term = _snapshotTerm;
            return true;
        }

        if (index < _snapshotIndex || index > LastIndex)
        {
            term = Term.Zero;
            return false;
        }

        term = _entries[(int)(index - _snapshotIndex) - 1].Term;
        return true;
    }

    /// <inheritdoc />
    public void GetEntries(LogIndex from, LogIndex toExclusive, long maxBytes, List<Entry> into)
    {
        if (from <= _snapshotIndex || toExclusive > LastIndex.Next || from >= toExclusive)
        {
            throw new ArgumentOutOfRangeException(nameof(from), $"[{from}, {toExclusive}) is outside [{FirstIndex}, {LastIndex.Next}).");
        }

        long bytes = 0;
        for (var index = from; index < toExclusive; index = index.Next)
        {
            if (!Entry.AddWithinLimit(into, _entries[(int)(index - _snapshotIndex) - 1], maxBytes, ref bytes))
            {
                return;
            }
        }
    }

    /// <inheritdoc />
    public bool TryReadSnapshotChunk(SnapshotMeta snapshot, long offset, int maxBytes, out ReadOnlyMemory<byte> chunk)
    {
        if (!_snapshots.TryGetValue((snapshot.Index.Value, snapshot.Term.Value), out var data) || data.Length != snapshot.SizeBytes)
        {
            chunk = default;
            return false;
        }

        chunk = data.AsMemory((int)offset, (int)Math.Min(maxBytes, data.Length - offset));
        return true;
    }

    /// <summary>Stores what <paramref name="ready"/> asks to persist (step 2 of the Ready contract).</summary>
    /// <returns>The data of the snapshot installed, if the Ready installed one.</returns>
    public byte[]? Apply(Ready ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        foreach (var chunk in ready.SnapshotChunks)
        {
            AppendChunk(chunk);
        }

        byte[]? installed = null;
        if (ready.SnapshotToInstall is { } meta)
        {
            installed = InstallStaged(meta);
        }

        if (ready.Entries.Count > 0)
        {
            Append(ready.Entries);
        }

        if (ready.HardState is { } hardState)
        {
            _hardState = hardState;
        }

        return installed;
    }

    /// <summary>Appends received snapshot bytes to the staging area (offset 0 starts a new one).</summary>
    public void AppendChunk(SnapshotChunk chunk)
    {
        if (chunk.Offset == 0 || _staging is null || !_staging.Meta.SameSnapshot(chunk.Snapshot))
        {
            _staging = new StagedSnapshot(chunk.Snapshot);
        }

        // Appended where the staging area ends, as a file append would: a chunk appended twice shows up here.
        _staging.Data.AddRange(chunk.Data.ToArray());
    }

    /// <summary>Takes the staged data of <paramref name="meta"/> as the latest snapshot and resets the log to it.</summary>
    public byte[] InstallStaged(SnapshotMeta meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        if (_staging is null || !_staging.Meta.SameSnapshot(meta))
        {
            throw new InvalidOperationException($"No staged data for {meta}.");
        }

        var data = _staging.Data.ToArray();
        _staging = null;
        SetSnapshot(meta, data);
        _entries.Clear();
        _snapshotIndex = meta.Index;
        _snapshotTerm = meta.Term;
        _applied = meta.Index;
        return data;
    }

    /// <summary>Records a snapshot the host took at <paramref name="meta"/>.Index and drops the entries it covers.</summary>
    public void Compact(SnapshotMeta meta, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(meta);
        ArgumentNullException.ThrowIfNull(data);
        if (meta.Index <= _snapshotIndex || meta.Index > LastIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(meta), $"A snapshot at {meta.Index} cannot compact a log of [{FirstIndex}, {LastIndex}].");
        }

        var drop = (int)(meta.Index - _snapshotIndex);
        if (_entries[drop - 1].Term != meta.Term)
        {
            throw new ArgumentException($"The snapshot says term {meta.Term} at {meta.Index}; the log has {_entries[drop - 1].Term}.", nameof(meta));
        }

        SetSnapshot(meta, data);
        _snapshotTerm = meta.Term;
        _entries.RemoveRange(0, drop);
        _snapshotIndex = meta.Index;
    }

    /// <summary>Stores entries, replacing any from the first one's index on.</summary>
    public void Append(IReadOnlyList<Entry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        var first = entries[0].Index;
        if (first <= _snapshotIndex || first > LastIndex.Next)
        {
            throw new ArgumentOutOfRangeException(nameof(entries), $"Entries from {first} do not continue a log of [{FirstIndex}, {LastIndex}].");
        }

        _entries.RemoveRange((int)(first - _snapshotIndex) - 1, _entries.Count - ((int)(first - _snapshotIndex) - 1));
        _entries.AddRange(entries);
    }

    /// <summary>Drops every entry after <paramref name="last"/>: what a crash does to writes that were not synced.</summary>
    public void TruncateAfter(LogIndex last)
    {
        if (last < _snapshotIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(last));
        }

        var keep = (int)(last - _snapshotIndex);
        if (keep < _entries.Count)
        {
            _entries.RemoveRange(keep, _entries.Count - keep);
        }
    }

    /// <summary>Replaces the stored hard state (e.g. a crash that lost an unsynced one).</summary>
    public void SetHardState(HardState hardState) => _hardState = hardState;

    private void SetSnapshot(SnapshotMeta meta, byte[] data)
    {
        _snapshots.Clear();
        _snapshots[(meta.Index.Value, meta.Term.Value)] = data;
        LatestSnapshot = (meta, data);
    }

    private sealed class StagedSnapshot(SnapshotMeta meta)
    {
        public SnapshotMeta Meta { get; } = meta;

        public List<byte> Data { get; } = [];
    }
}
