namespace Statehouse.Storage.Groups;

/// <summary>
/// The in-memory view of the shared log: every group's <see cref="StoredGroup"/>, changed one batch at a time.
/// Pure: the file-backed log feeds it the batches it replays and writes.
/// </summary>
/// <remarks>
/// <para>
/// A live batch (<see cref="Apply"/>) is checked against every group's rules before anything changes, so a batch
/// that breaks one is refused whole (docs/internals/host.md §1).
/// </para>
/// <para>
/// Replay of a log whose oldest segments were reclaimed (<see cref="BeginReplay"/> with a first LSN above 1) sees
/// records of a group whose earlier records are gone; those are the group's past, since everything it still needs
/// lies at or after its pin. Such a group is checked once, when the replay ends (<see cref="EndReplay"/>).
/// </para>
/// </remarks>
public sealed class GroupLogState
{
    private readonly Dictionary<ulong, StoredGroup> _groups = [];
    private readonly Dictionary<ulong, Shadow> _shadows = [];
    private bool _replaying;
    private bool _replayFromReclaimedLog;
    private long _validatedLsn;

    /// <summary>The groups the log holds something for.</summary>
    public IReadOnlyCollection<StoredGroup> Groups => _groups.Values;

    /// <summary>LSN of the last batch applied (0: none).</summary>
    public long LastLsn { get; private set; }

    /// <summary>The group's stored state, or null if the log holds nothing for it.</summary>
    public StoredGroup? Find(ulong group) => _groups.GetValueOrDefault(group);

    /// <summary>The oldest LSN any group still needs (<see cref="long.MaxValue"/> when none needs any).</summary>
    public long MinimumPin()
    {
        var pin = long.MaxValue;
        foreach (var group in _groups.Values)
        {
            pin = Math.Min(pin, group.Pin);
        }

        return pin;
    }

    /// <summary>The retained bytes of every group.</summary>
    public long RetainedBytes()
    {
        long bytes = 0;
        foreach (var group in _groups.Values)
        {
            bytes += group.RetainedBytes;
        }

        return bytes;
    }

    /// <summary>Starts replaying a log whose first batch is <paramref name="firstLsn"/>.</summary>
    public void BeginReplay(long firstLsn)
    {
        Invariant.Assert(!_replaying && LastLsn == 0 && _groups.Count == 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(firstLsn, 1);
        _replaying = true;
        _replayFromReclaimedLog = firstLsn > 1;
        LastLsn = firstLsn - 1;
    }

    /// <summary>Ends a replay: checks every group whose history began before the log's first batch.</summary>
    /// <exception cref="GroupLogViolationException">A group's state is incomplete or breaks its rules.</exception>
    public void EndReplay()
    {
        Invariant.Assert(_replaying);
        _replaying = false;
        foreach (var group in _groups.Values)
        {
            if (group.Lenient)
            {
                group.FinishReplay();
                if (group.FindViolation(full: true) is { } violation)
                {
                    throw new GroupLogViolationException(LastLsn, group.Id, violation + " (its records before the log's first batch are needed but gone)");
                }
            }
        }
    }

    /// <summary>Applies batch <paramref name="lsn"/> (the next one) after checking it against every group's rules.</summary>
    /// <exception cref="GroupLogViolationException">The batch breaks a rule; nothing changed.</exception>
    public void Apply(long lsn, IReadOnlyList<GroupOperation> operations)
    {
        Validate(lsn, operations);
        ApplyValidated(lsn, operations);
    }

    /// <summary>
    /// Applies batch <paramref name="lsn"/>, which <see cref="Validate"/> just accepted (a writer validates before the
    /// write and applies after it, so the rules are checked once).
    /// </summary>
    public void ApplyValidated(long lsn, IReadOnlyList<GroupOperation> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        if (lsn != _validatedLsn)
        {
            throw new InvalidOperationException($"Batch {lsn} was not the last one validated ({_validatedLsn}).");
        }

        _validatedLsn = 0;
        foreach (var operation in operations)
        {
            ApplyOne(lsn, operation);
        }

        // Only the bounds: the shadow checked the entries themselves, and a full pass would cost the whole log per batch.
        foreach (var id in _shadows.Keys)
        {
            if (_groups.TryGetValue(id, out var group) && !group.Lenient && group.FindViolation(full: false) is { } violation)
            {
                // Validate let through what the group now breaks: a bug here, not in the batch.
                throw new InvariantViolationException($"Group {group.Id} after batch {lsn}: {violation}");
            }
        }

        LastLsn = lsn;
    }

    private void ApplyOne(long lsn, GroupOperation operation)
    {
        if (operation is RemoveGroupOperation)
        {
            _groups.Remove(operation.Group);
            return;
        }

        if (!_groups.TryGetValue(operation.Group, out var group))
        {
            group = new StoredGroup(operation.Group) { Lenient = _replaying && _replayFromReclaimedLog };
            _groups.Add(operation.Group, group);
        }

        switch (operation)
        {
            case AppendEntriesOperation append:
                group.Append(append.Entries, lsn);
                break;
            case HardStateOperation hardState:
                group.SetHardState(hardState.Term, hardState.Vote, hardState.Commit, lsn);
                break;
            case CompactOperation compact:
                group.Compact(compact.Index, compact.Term, lsn);
                break;
            case CreateGroupOperation create:
                group.SetDescriptor(create.Member, create.Bootstrap, lsn);
                break;
            default:
                throw new InvariantViolationException($"Unknown operation {operation.GetType().Name}.");
        }
    }

    /// <summary>Checks batch <paramref name="lsn"/> against every group's rules without changing anything.</summary>
    /// <exception cref="GroupLogViolationException">The batch breaks a rule.</exception>
    public void Validate(long lsn, IReadOnlyList<GroupOperation> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        if (lsn != LastLsn + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(lsn), lsn, $"The next batch is {LastLsn + 1}.");
        }

        _validatedLsn = 0;
        _shadows.Clear();
        foreach (var operation in operations)
        {
            if (operation is RemoveGroupOperation)
            {
                _shadows[operation.Group] = Shadow.Empty(operation.Group);
                continue;
            }

            if (!_shadows.TryGetValue(operation.Group, out var shadow))
            {
                var group = _groups.GetValueOrDefault(operation.Group);
                if (group is { Lenient: true } || (group is null && _replaying && _replayFromReclaimedLog))
                {
                    // Its rules are checked when the replay ends.
                    continue;
                }

                shadow = group is null ? Shadow.Empty(operation.Group) : Shadow.Of(group);
                _shadows[operation.Group] = shadow;
            }

            if (shadow.Check(operation) is { } violation)
            {
                throw new GroupLogViolationException(lsn, operation.Group, violation);
            }
        }

        foreach (var shadow in _shadows.Values)
        {
            if (shadow.CheckEnd() is { } violation)
            {
                throw new GroupLogViolationException(lsn, shadow.Id, violation);
            }
        }

        _validatedLsn = lsn;
    }

    /// <summary>
    /// A group as a batch would leave it, without copying its entries: the stored entries up to
    /// <see cref="_storedLast"/> still hold, and the batch's own entries follow them.
    /// </summary>
    private sealed class Shadow
    {
        private readonly StoredGroup? _stored;
        private readonly List<ulong> _pendingTerms = [];
        private ulong _storedLast;
        private ulong _compactIndex;
        private ulong _compactTerm;
        private ulong _term;
        private ulong _vote;
        private ulong _commit;
        private bool _exists;
        private ulong _member;

        private Shadow(ulong id, StoredGroup? stored)
        {
            Id = id;
            _stored = stored;
        }

        public ulong Id { get; }

        // The batch's own entries start right after the stored ones that still hold.
        private ulong PendingFirst => _storedLast + 1;

        private ulong Last => _pendingTerms.Count > 0 ? PendingFirst + (ulong)_pendingTerms.Count - 1 : Math.Max(_storedLast, _compactIndex);

        public static Shadow Empty(ulong id) => new(id, null);

        public static Shadow Of(StoredGroup group) => new(group.Id, group)
        {
            _exists = true,
            _member = group.Member,
            _storedLast = group.LastIndex,
            _compactIndex = group.CompactIndex,
            _compactTerm = group.CompactTerm,
            _term = group.Term,
            _vote = group.Vote,
            _commit = group.Commit,
        };

        public string? Check(GroupOperation operation)
        {
            var violation = operation switch
            {
                AppendEntriesOperation append => CheckAppend(append.Entries),
                HardStateOperation hardState => CheckHardState(hardState),
                CompactOperation compact => CheckCompact(compact.Index, compact.Term),
                CreateGroupOperation create => CheckCreate(create),
                _ => $"unknown operation {operation.GetType().Name}",
            };
            _exists = true;
            return violation;
        }

        /// <summary>A group is created once (again only after its removal); a rewrite restates its own creation first.</summary>
        private string? CheckCreate(CreateGroupOperation create)
        {
            if (!_exists)
            {
                _member = create.Member;
                return null;
            }

            return _member == create.Member && _stored is not null && _pendingTerms.Count == 0 && _storedLast == _stored.LastIndex
                ? null
                : $"the group is created again (member {create.Member}) while the log holds it (member {_member})";
        }

        public string? CheckEnd()
        {
            if (_commit > Last)
            {
                return $"commit {_commit} is beyond the last entry {Last}";
            }

            if (_commit < _compactIndex)
            {
                return $"commit {_commit} is below the compaction point {_compactIndex}";
            }

            TryGetTerm(Last, out var lastTerm);
            return lastTerm > _term ? $"the last entry's term {lastTerm} is beyond the current term {_term}" : null;
        }

        private bool TryGetTerm(ulong index, out ulong term)
        {
            term = 0;
            if (index == _compactIndex)
            {
                term = _compactTerm;
                return true;
            }

            if (index < _compactIndex || index > Last)
            {
                return false;
            }

            if (index <= _storedLast)
            {
                return _stored!.TryGetTerm(index, out term);
            }

            term = _pendingTerms[(int)(index - PendingFirst)];
            return true;
        }

        private string? CheckAppend(IReadOnlyList<GroupEntry> entries)
        {
            var first = entries[0].Index;
            if (first <= _compactIndex)
            {
                return $"entries from {first} replace entries covered by the snapshot at {_compactIndex}";
            }

            if (first > Last + 1)
            {
                return $"entries from {first} leave a gap after the last entry {Last}";
            }

            TryGetTerm(first - 1, out var previousTerm);
            foreach (var entry in entries)
            {
                if (entry.Term < previousTerm)
                {
                    return $"entry {entry.Index} has term {entry.Term} after term {previousTerm}";
                }

                if (entry.Index <= _commit && entry.Index <= Last && TryGetTerm(entry.Index, out var held) && held != entry.Term)
                {
                    return $"entry {entry.Index} is committed with term {held}; the batch replaces it with term {entry.Term}";
                }

                previousTerm = entry.Term;
            }

            if (first <= _storedLast)
            {
                _storedLast = first - 1;
                _pendingTerms.Clear();
            }
            else
            {
                var keep = (int)(first - PendingFirst);
                _pendingTerms.RemoveRange(keep, _pendingTerms.Count - keep);
            }

            foreach (var entry in entries)
            {
                _pendingTerms.Add(entry.Term);
            }

            return null;
        }

        private string? CheckHardState(HardStateOperation hardState)
        {
            if (hardState.Term < _term)
            {
                return $"term {hardState.Term} follows term {_term}";
            }

            if (hardState.Term == _term && _vote != 0 && hardState.Vote != _vote)
            {
                return $"the vote of term {_term} changes from {_vote} to {hardState.Vote}";
            }

            if (hardState.Commit < _commit)
            {
                return $"commit {hardState.Commit} follows commit {_commit}";
            }

            (_term, _vote, _commit) = (hardState.Term, hardState.Vote, hardState.Commit);
            return null;
        }

        private string? CheckCompact(ulong index, ulong term)
        {
            if (index < _compactIndex || (index == _compactIndex && term != _compactTerm))
            {
                return $"compaction to ({index}, {term}) after ({_compactIndex}, {_compactTerm})";
            }

            if (term < _compactTerm)
            {
                return $"compaction to term {term} after term {_compactTerm}";
            }

            var holds = TryGetTerm(index, out var held);
            if (holds && held != term && index <= _commit)
            {
                return $"the snapshot says term {term} at {index}; the committed entry there has term {held}";
            }

            if (!holds || held != term || index == Last)
            {
                // A snapshot installed over the log (or covering all of it): nothing after it is kept.
                _storedLast = index;
                _pendingTerms.Clear();
            }

            _compactIndex = index;
            _compactTerm = term;
            return null;
        }
    }
}
