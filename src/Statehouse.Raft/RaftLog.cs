namespace Statehouse.Raft;

/// <summary>
/// A member's view of its log: what the host has stored (<see cref="IRaftLogStorage"/>) plus what the core has
/// appended since and not yet handed over (unstable entries, a snapshot to install), the commit and apply cursors,
/// and the membership each configuration entry implies.
/// </summary>
/// <remarks>
/// Membership follows the thesis (§4.1): a member uses the latest configuration in its log, committed or not, so a
/// truncation of uncommitted entries can take a configuration back. Only configurations after the applied index are
/// kept besides the one in force there.
/// </remarks>
internal sealed class RaftLog
{
    private readonly IRaftLogStorage _storage;
    private readonly List<Entry> _unstable = [];
    private readonly List<(LogIndex Index, Configuration Configuration)> _configurations = [];
    private readonly List<Entry> _scratch = [];
    private LogIndex _unstableOffset;
    private LogIndex _baseConfigurationIndex;
    private Configuration _baseConfiguration;

    public RaftLog(IRaftLogStorage storage, RaftInitialState initial)
    {
        _storage = storage;
        _unstableOffset = storage.LastIndex.Next;
        var snapshotIndex = initial.Snapshot?.Index ?? LogIndex.Zero;
        Invariant.Assert(storage.FirstIndex == snapshotIndex.Next, "storage must start right after its snapshot");
        _baseConfiguration = initial.Snapshot?.Configuration ?? initial.Configuration;
        _baseConfigurationIndex = snapshotIndex;
        Committed = LogIndex.Max(initial.HardState.Commit, snapshotIndex);
        Invariant.Assert(Committed <= LastIndex, "the persisted commit index is beyond the log");
        Applied = initial.Applied;
        Invariant.Assert(Applied >= snapshotIndex, "the state machine is behind the snapshot the log starts from");
        Invariant.Assert(Applied <= Committed, "the state machine applied beyond the commit index");
        Applying = Applied;

        // Recover the configurations of the stored log (thesis §4.1: the latest one counts, committed or not).
        var next = FirstIndex;
        while (next <= LastIndex)
        {
            _scratch.Clear();
            _storage.GetEntries(next, LastIndex.Next, 4 << 20, _scratch);
            Invariant.Assert(_scratch.Count > 0);
            TrackConfigurations(_scratch, 0);
            next = _scratch[^1].Index.Next;
        }

        FoldConfigurations(Applied);
    }

    public LogIndex Committed { get; private set; }

    /// <summary>Applied by the host (acknowledged by Advance).</summary>
    public LogIndex Applied { get; private set; }

    /// <summary>Handed to the host for applying (at least <see cref="Applied"/>).</summary>
    public LogIndex Applying { get; private set; }

    /// <summary>A received snapshot not yet installed by the host.</summary>
    public SnapshotMeta? PendingSnapshot { get; private set; }

    public IReadOnlyList<Entry> UnstableEntries => _unstable;

    public LogIndex FirstIndex => PendingSnapshot is { } snapshot ? snapshot.Index.Next : _storage.FirstIndex;

    public LogIndex LastIndex
    {
        get
        {
            if (_unstable.Count > 0)
            {
                return _unstable[^1].Index;
            }

            return PendingSnapshot is { } snapshot ? snapshot.Index : _unstableOffset.Previous;
        }
    }

    public Term LastTerm => TryGetTerm(LastIndex, out var term) ? term : throw new RaftInvariantException("the last entry's term is unknown");

    /// <summary>The membership in force: the latest configuration in the log (§4.1).</summary>
    public Configuration Configuration => _configurations.Count > 0 ? _configurations[^1].Configuration : _baseConfiguration;

    /// <summary>The index of the latest configuration entry (0 or the snapshot's index when there is none after it).</summary>
    public LogIndex ConfigurationIndex => _configurations.Count > 0 ? _configurations[^1].Index : _baseConfigurationIndex;

    /// <summary>The membership as of <paramref name="index"/> (at least the applied index), e.g. for a snapshot there.</summary>
    public Configuration ConfigurationAt(LogIndex index)
    {
        Invariant.Assert(index >= _baseConfigurationIndex, "configurations below the applied index are forgotten");
        var result = _baseConfiguration;
        foreach (var (at, configuration) in _configurations)
        {
            if (at > index)
            {
                break;
            }

            result = configuration;
        }

        return result;
    }

    public bool TryGetTerm(LogIndex index, out Term term)
    {
        if (_unstable.Count > 0 && index >= _unstableOffset && index <= _unstable[^1].Index)
        {
            term = _unstable[(int)(index - _unstableOffset)].Term;
            return true;
        }

        if (PendingSnapshot is { } snapshot)
        {
            term = index == snapshot.Index ? snapshot.Term : Term.Zero;
            return index == snapshot.Index;
        }

        if (index >= _unstableOffset)
        {
            // Beyond the log (stored entries from the unstable offset on are being replaced).
            term = Term.Zero;
            return false;
        }

        return _storage.TryGetTerm(index, out term);
    }

    public bool MatchTerm(LogIndex index, Term term) => TryGetTerm(index, out var actual) && actual == term;

    /// <summary>Whether a candidate's log is at least as up to date as this one (thesis §3.6.1).</summary>
    public bool IsUpToDate(LogIndex lastIndex, Term lastTerm)
    {
        var ourTerm = LastTerm;
        return lastTerm > ourTerm || (lastTerm == ourTerm && lastIndex >= LastIndex);
    }

    /// <summary>The leader's append: entries continue the log in the leader's term.</summary>
    public void Append(IReadOnlyList<Entry> entries)
    {
        Invariant.Assert(entries.Count > 0);
        Invariant.Assert(entries[0].Index == LastIndex.Next, "a leader appends right after its last entry");
        TruncateAndAppend(entries, 0);
    }

    /// <summary>
    /// A follower's append (thesis §3.5, the AppendEntries receiver rules 2–5): checks the previous entry, drops a
    /// conflicting suffix, appends what is new and advances the commit index.
    /// </summary>
    /// <returns>The index of the last entry the message covered, or null when the previous entry does not match.</returns>
    public LogIndex? MaybeAppend(LogIndex previousIndex, Term previousTerm, LogIndex commit, IReadOnlyList<Entry> entries, bool acceptMismatch)
    {
        if (!MatchTerm(previousIndex, previousTerm) && !(acceptMismatch && previousIndex <= LastIndex))
        {
            return null;
        }

        var lastNew = previousIndex + (ulong)entries.Count;
        for (var i = 0; i < entries.Count; i++)
        {
            Invariant.Assert(entries[i].Index == previousIndex + (ulong)(i + 1), "an append's entries must be contiguous");
            if (!MatchTerm(entries[i].Index, entries[i].Term))
            {
                // Rule 3: a conflicting entry and all that follow it go; a committed entry never conflicts.
                Invariant.Assert(entries[i].Index > Committed, $"a conflict at {entries[i].Index} is at or below the commit index {Committed}");
                TruncateAndAppend(entries, i);
                break;
            }
        }

        // Rule 5: commit up to the leader's commit index, but only over entries this message vouched for.
        CommitTo(LogIndex.Min(commit, lastNew));
        return lastNew;
    }

    public void CommitTo(LogIndex index)
    {
        if (index <= Committed)
        {
            return;
        }

        Invariant.Assert(index <= LastIndex, $"commit {index} beyond the last index {LastIndex}");
        Committed = index;
    }

    /// <summary>
    /// The largest index at or below <paramref name="index"/> whose term is at most <paramref name="term"/>: where a
    /// leader whose entry at <paramref name="index"/> has <paramref name="term"/> should probe next (etcd-io/raft's
    /// optimisation of the §5.4.1 backtracking: one round trip per term, not per entry).
    /// </summary>
    public (LogIndex Index, Term Term) FindConflictByTerm(LogIndex index, Term term)
    {
        index = LogIndex.Min(index, LastIndex);
        while (true)
        {
            if (!TryGetTerm(index, out var ours))
            {
                // Compacted: the snapshot's entry below matches (everything there is committed).
                return (index, Term.Zero);
            }

            if (ours <= term || index == LogIndex.Zero)
            {
                return (index, ours);
            }

            index = index.Previous;
        }
    }

    /// <summary>Entries in [from, toExclusive) up to <paramref name="maxBytes"/> (at least one); null if compacted.</summary>
    public List<Entry>? Slice(LogIndex from, LogIndex toExclusive, long maxBytes)
    {
        Invariant.Assert(from <= toExclusive);
        Invariant.Assert(toExclusive <= LastIndex.Next, "slice beyond the log");
        if (from < FirstIndex)
        {
            return null;
        }

        if (from == toExclusive)
        {
            return [];
        }

        // Sized for the whole range (bounded), so a batch does not grow the list by doubling.
        var result = new List<Entry>((int)Math.Min(toExclusive - from, 4096));

        long bytes = 0;
        if (PendingSnapshot is null && from < _unstableOffset)
        {
            _storage.GetEntries(from, LogIndex.Min(toExclusive, _unstableOffset), maxBytes, result);
            Invariant.Assert(result.Count > 0 && result[0].Index == from, "storage returned the wrong entries");
            foreach (var entry in result)
            {
                bytes += entry.SizeBytes;
            }

            if (result[^1].Index.Next < LogIndex.Min(toExclusive, _unstableOffset) || bytes >= maxBytes)
            {
                return result;
            }

            from = result[^1].Index.Next;
        }

        while (from < toExclusive)
        {
            var entry = _unstable[(int)(from - _unstableOffset)];
            if (result.Count > 0 && bytes + entry.SizeBytes > maxBytes)
            {
                break;
            }

            result.Add(entry);
            bytes += entry.SizeBytes;
            from = from.Next;
        }

        return result;
    }

    /// <summary>Committed entries not yet handed out for applying, up to <paramref name="maxBytes"/>.</summary>
    public List<Entry> NextCommittedEntries(long maxBytes)
    {
        var from = Applying.Next;
        if (from > Committed)
        {
            return [];
        }

        var entries = Slice(from, Committed.Next, maxBytes);
        Invariant.Assert(entries is not null, "committed entries that were never applied are compacted");
        Applying = entries[^1].Index;
        return entries;
    }

    /// <summary>Takes a complete received snapshot: the whole log is replaced by it (thesis §5.1, receiver rule 7).</summary>
    public void Restore(SnapshotMeta snapshot)
    {
        Invariant.Assert(snapshot.Index > Committed, "a snapshot at or below the commit index is not installed");
        PendingSnapshot = snapshot;
        _unstable.Clear();
        _unstableOffset = snapshot.Index.Next;
        _configurations.Clear();
        _baseConfiguration = snapshot.Configuration;
        _baseConfigurationIndex = snapshot.Index;
        Committed = snapshot.Index;
        Applying = snapshot.Index;
    }

    /// <summary>The host stored everything handed out and applied up to <see cref="Applying"/>.</summary>
    public void Advance()
    {
        var last = LastIndex;
        Invariant.Assert(_storage.LastIndex == last, $"the host stored up to {_storage.LastIndex}, not the {last} it was given");
        _unstable.Clear();
        PendingSnapshot = null;
        Applied = Applying;
        _unstableOffset = last.Next;
        Invariant.Assert(_storage.FirstIndex <= Applied.Next, "the host compacted entries it has not applied");
        FoldConfigurations(Applied);
    }

    private void TruncateAndAppend(IReadOnlyList<Entry> entries, int from)
    {
        var first = entries[from].Index;
        Invariant.Assert(first > Committed, "committed entries are never replaced");
        if (_unstable.Count > 0 && first > _unstableOffset)
        {
            _unstable.RemoveRange((int)(first - _unstableOffset), _unstable.Count - (int)(first - _unstableOffset));
        }
        else
        {
            // Replaces everything from the first new entry on: part of storage, or all of the unstable entries.
            _unstable.Clear();
            _unstableOffset = first;
        }

        for (var i = from; i < entries.Count; i++)
        {
            _unstable.Add(entries[i]);
        }

        // A truncation takes configurations back (§4.1); the appended entries bring their own.
        while (_configurations.Count > 0 && _configurations[^1].Index >= first)
        {
            _configurations.RemoveAt(_configurations.Count - 1);
        }

        TrackConfigurations(entries, from);
        Invariant.Assert(_unstable[0].Index == _unstableOffset);
        Invariant.Assert(_unstable[^1].Index == _unstableOffset + (ulong)(_unstable.Count - 1), "the unstable log has a hole");
    }

    private void TrackConfigurations(IReadOnlyList<Entry> entries, int from)
    {
        for (var i = from; i < entries.Count; i++)
        {
            if (entries[i].Kind != EntryKind.ConfigChange)
            {
                continue;
            }

            var change = ConfigChange.Decode(entries[i].Data);
            var result = ConfigChange.DecodeResult(entries[i].Data);
            Configuration next;
            if (Configuration.Voters.Count == 0)
            {
                // A member that joined with an empty configuration does not know the membership the change applies to
                // (a group always has a voter): the entry says what it results in. So it can take the log from index 1.
                Invariant.Assert(result is not null, $"the configuration entry at {entries[i].Index} does not carry its result, and this member knows no membership to apply it to");
                next = result;
            }
            else
            {
                var applied = Configuration.TryApply(change, out next, out var error);
                Invariant.Assert(applied, $"the configuration entry at {entries[i].Index} does not apply: {error}");
                Invariant.Assert(result is null || result.Equals(next), $"the configuration entry at {entries[i].Index} results in {result}, not {next}");
            }

            _configurations.Add((entries[i].Index, next));
        }
    }

    private void FoldConfigurations(LogIndex upTo)
    {
        while (_configurations.Count > 0 && _configurations[0].Index <= upTo)
        {
            (_baseConfigurationIndex, _baseConfiguration) = _configurations[0];
            _configurations.RemoveAt(0);
        }
    }
}
