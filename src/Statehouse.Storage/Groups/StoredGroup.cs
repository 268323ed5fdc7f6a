namespace Statehouse.Storage.Groups;

/// <summary>
/// What the shared log holds for one group, in memory: hard state, compaction point and every retained entry with
/// the log sequence number (LSN) of the batch that wrote it. Reads never touch the disk.
/// </summary>
/// <remarks>
/// Invariants (checked after every batch): entries are contiguous from <see cref="CompactIndex"/> + 1, their terms
/// never decrease and are ≥ <see cref="CompactTerm"/>, <see cref="CompactIndex"/> ≤ <see cref="Commit"/> ≤
/// <see cref="LastIndex"/>, the last term is ≤ <see cref="Term"/>, and the entries' LSNs never decrease (an append
/// replaces a suffix, so later indexes were always written later).
/// </remarks>
public sealed class StoredGroup
{
    /// <summary>Bytes counted per retained entry on top of its data (index, term, kind, LSN, list slot).</summary>
    public const int EntryOverheadBytes = 48;

    private readonly List<StoredEntry> _entries = [];

    // The index before the first retained entry. Always CompactIndex, except during a lenient replay, where the
    // known log may start after a compaction point that is not known yet (or after a gap the replay must fill).
    private ulong _base;

    internal StoredGroup(ulong id) => Id = id;

    /// <summary>The group.</summary>
    public ulong Id { get; }

    /// <summary>The current term of the last hard state written (0: none yet).</summary>
    public ulong Term { get; private set; }

    /// <summary>The vote of the last hard state written (0: none).</summary>
    public ulong Vote { get; private set; }

    /// <summary>The commit index of the last hard state written.</summary>
    public ulong Commit { get; private set; }

    /// <summary>Entries up to this index are covered by a snapshot (0: never compacted).</summary>
    public ulong CompactIndex { get; private set; }

    /// <summary>The term of the entry at <see cref="CompactIndex"/> (0 when never compacted).</summary>
    public ulong CompactTerm { get; private set; }

    /// <summary>The first retained index (<see cref="CompactIndex"/> + 1).</summary>
    public ulong FirstIndex => CompactIndex + 1;

    /// <summary>The last retained index (<see cref="CompactIndex"/> when no entry is retained).</summary>
    public ulong LastIndex => _base + (ulong)_entries.Count;

    /// <summary>How many entries are retained.</summary>
    public int EntryCount => _entries.Count;

    /// <summary>The data bytes of the retained entries plus <see cref="EntryOverheadBytes"/> each: what a snapshot would free.</summary>
    public long RetainedBytes { get; private set; }

    /// <summary>LSN of the last hard state record (0: none).</summary>
    public long HardStateLsn { get; private set; }

    /// <summary>LSN of the last compaction record (0: none).</summary>
    public long CompactLsn { get; private set; }

    /// <summary>This node's member of the group, from its Create record (0: the log holds none).</summary>
    public ulong Member { get; private set; }

    /// <summary>The founding membership of its Create record (the replication layer's encoding).</summary>
    public ReadOnlyMemory<byte> Bootstrap { get; private set; }

    /// <summary>The LSN of its Create record (0: none).</summary>
    public long CreateLsn { get; private set; }

    /// <summary>
    /// The oldest LSN this group still needs: its create, hard state, compaction and first retained entry records. The log
    /// may drop a segment only when every group's pin lies beyond it.
    /// </summary>
    public long Pin
    {
        get
        {
            var pin = long.MaxValue;
            if (CreateLsn > 0)
            {
                pin = CreateLsn;
            }

            if (HardStateLsn > 0 && HardStateLsn < pin)
            {
                pin = HardStateLsn;
            }

            if (CompactLsn > 0)
            {
                pin = Math.Min(pin, CompactLsn);
            }

            if (_entries.Count > 0)
            {
                pin = Math.Min(pin, _entries[0].Lsn);
            }

            return pin;
        }
    }

    /// <summary>Replay only: the group's first records may lie in a deleted segment, so history checks wait for the end.</summary>
    internal bool Lenient { get; set; }

    /// <summary>The term at <paramref name="index"/>, for <see cref="CompactIndex"/> ≤ index ≤ <see cref="LastIndex"/>.</summary>
    /// <returns>False when the index is compacted away or beyond the log (and for index 0 of a never-compacted group, true with term 0).</returns>
    public bool TryGetTerm(ulong index, out ulong term)
    {
        if (index == CompactIndex)
        {
            term = CompactTerm;
            return true;
        }

        if (index <= _base || index > LastIndex)
        {
            term = 0;
            return false;
        }

        term = _entries[(int)(index - _base) - 1].Entry.Term;
        return true;
    }

    /// <summary>The retained entry at <paramref name="index"/> (FirstIndex ≤ index ≤ LastIndex).</summary>
    public GroupEntry GetEntry(ulong index)
    {
        if (index <= _base || index > LastIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Group {Id} retains [{FirstIndex}, {LastIndex}].");
        }

        return _entries[(int)(index - _base) - 1].Entry;
    }

    /// <summary>The LSN of the batch that wrote the retained entry at <paramref name="index"/>.</summary>
    public long GetEntryLsn(ulong index)
    {
        if (index <= _base || index > LastIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Group {Id} retains [{FirstIndex}, {LastIndex}].");
        }

        return _entries[(int)(index - _base) - 1].Lsn;
    }

    /// <summary>
    /// Adds entries from <paramref name="from"/> up to (not including) <paramref name="toExclusive"/> to
    /// <paramref name="into"/>, stopping once <paramref name="maxBytes"/> of data is reached but always at least one.
    /// </summary>
    public void GetEntries(ulong from, ulong toExclusive, long maxBytes, List<GroupEntry> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (from <= _base || toExclusive > LastIndex + 1 || from >= toExclusive)
        {
            throw new ArgumentOutOfRangeException(nameof(from), $"[{from}, {toExclusive}) is outside group {Id}'s [{FirstIndex}, {LastIndex + 1}).");
        }

        long bytes = 0;
        var added = 0;
        for (var index = from; index < toExclusive; index++)
        {
            var entry = _entries[(int)(index - _base) - 1].Entry;
            if (added > 0 && bytes + entry.Data.Length > maxBytes)
            {
                return;
            }

            into.Add(entry);
            added++;
            bytes += entry.Data.Length;
            if (bytes >= maxBytes)
            {
                return;
            }
        }
    }

    /// <summary>Replaces the entries from the first one's index on. The caller validated the operation.</summary>
    internal void Append(IReadOnlyList<GroupEntry> entries, long lsn)
    {
        var first = entries[0].Index;
        if (Lenient && (_entries.Count == 0 || first <= _base || first > LastIndex + 1))
        {
            // Replay of a log whose start was deleted: what came before this append is gone or replaced, and
            // everything the group still needs is at or after its pin, so the append starts the known log afresh.
            Clear();
            _base = first - 1;
        }

        Invariant.Assert(first > _base && first <= LastIndex + 1);
        var keep = (int)(first - _base) - 1;
        for (var i = keep; i < _entries.Count; i++)
        {
            RetainedBytes -= _entries[i].Entry.Data.Length + EntryOverheadBytes;
        }

        _entries.RemoveRange(keep, _entries.Count - keep);
        foreach (var entry in entries)
        {
            _entries.Add(new StoredEntry(entry, lsn));
            RetainedBytes += entry.Data.Length + EntryOverheadBytes;
        }
    }

    /// <summary>Records the Create record. The caller validated the operation.</summary>
    internal void SetDescriptor(ulong member, ReadOnlyMemory<byte> bootstrap, long lsn)
    {
        Member = member;
        Bootstrap = bootstrap;
        CreateLsn = lsn;
    }

    /// <summary>Records the hard state. The caller validated the operation.</summary>
    internal void SetHardState(ulong term, ulong vote, ulong commit, long lsn)
    {
        Term = term;
        Vote = vote;
        Commit = commit;
        HardStateLsn = lsn;
    }

    /// <summary>
    /// Moves the compaction point to (<paramref name="index"/>, <paramref name="term"/>): drops the entries it covers
    /// when the log holds that entry, else empties the log there (a snapshot installed over it).
    /// </summary>
    internal void Compact(ulong index, ulong term, long lsn)
    {
        if (index > _base && index <= LastIndex && TryGetTerm(index, out var held) && held == term)
        {
            var drop = (int)(index - _base);
            for (var i = 0; i < drop; i++)
            {
                RetainedBytes -= _entries[i].Entry.Data.Length + EntryOverheadBytes;
            }

            _entries.RemoveRange(0, drop);
            _base = index;
        }
        else if (index > _base)
        {
            // Beyond the log, or another term there: a snapshot installed over it.
            Clear();
            _base = index;
        }
        else
        {
            // At or below the known log's start: the same point again (a rewrite), or, in a lenient replay, an older
            // compaction than the known log; a later append or compaction must join them up.
            Invariant.Assert(Lenient || (index == _base && index == CompactIndex && term == CompactTerm));
        }

        CompactIndex = index;
        CompactTerm = term;
        CompactLsn = lsn;
    }

    /// <summary>Ends a lenient replay: an empty log starts at the compaction point.</summary>
    internal void FinishReplay()
    {
        Lenient = false;
        if (_entries.Count == 0)
        {
            _base = CompactIndex;
        }
    }

    /// <summary>Checks the invariants of the class remarks: the bounds always, each entry only when <paramref name="full"/>.</summary>
    /// <returns>The broken rule in words, or null.</returns>
    internal string? FindViolation(bool full)
    {
        if (_base != CompactIndex)
        {
            return $"its log starts at {_base + 1}, but its compaction point is {CompactIndex}";
        }

        if (CompactIndex > Commit)
        {
            return $"commit {Commit} is below the compaction point {CompactIndex}";
        }

        if (Commit > LastIndex)
        {
            return $"commit {Commit} is beyond the last entry {LastIndex}";
        }

        var previousTerm = CompactTerm;
        if (full)
        {
            var previousLsn = 0L;
            for (var i = 0; i < _entries.Count; i++)
            {
                var stored = _entries[i];
                if (stored.Entry.Index != _base + 1 + (ulong)i)
                {
                    return $"entry {stored.Entry.Index} sits where {_base + 1 + (ulong)i} belongs";
                }

                if (stored.Entry.Term < previousTerm)
                {
                    return $"entry {stored.Entry.Index} has term {stored.Entry.Term} after term {previousTerm}";
                }

                if (stored.Lsn < previousLsn)
                {
                    return $"entry {stored.Entry.Index} was written before the entry it follows";
                }

                previousTerm = stored.Entry.Term;
                previousLsn = stored.Lsn;
            }
        }
        else if (_entries.Count > 0)
        {
            previousTerm = _entries[^1].Entry.Term;
        }

        if (previousTerm > Term)
        {
            return $"the last term {previousTerm} is beyond the current term {Term}";
        }

        return null;
    }

    private void Clear()
    {
        _entries.Clear();
        RetainedBytes = 0;
    }

    private readonly record struct StoredEntry(GroupEntry Entry, long Lsn);
}
