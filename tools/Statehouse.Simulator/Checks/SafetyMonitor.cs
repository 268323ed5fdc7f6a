using Statehouse.Raft;
using Statehouse.Simulator.Disk;

namespace Statehouse.Simulator.Checks;

/// <summary>
/// The run-wide record the safety checks compare against, checked at every step:
/// <list type="bullet">
/// <item>election safety — at most one leader per (group, term) over the whole run;</item>
/// <item>log matching — one entry per (group, index, term), and one log prefix before it (hash chains), checked on every write;</item>
/// <item>leader completeness — a new leader's log holds every entry known committed (applied anywhere) when it takes office;</item>
/// <item>no acknowledged write lost — a new leader's log holds every write a client was told succeeded;</item>
/// <item>state-machine safety — no two members apply different entries at one index, and snapshots at one index agree.</item>
/// </list>
/// </summary>
internal sealed class SafetyMonitor(Func<long> now)
{
    private readonly Dictionary<(ulong Group, ulong Term), NodeId> _leaders = [];
    private readonly Dictionary<(ulong Group, ulong Index, ulong Term), (ulong Hash, ulong Chain)> _entries = [];
    private readonly Dictionary<ulong, GroupRecord> _groups = [];

    /// <summary>Leaders elected (distinct (group, term) pairs).</summary>
    public int Elections => _leaders.Count;

    /// <summary>Writes a client was told succeeded.</summary>
    public int AcknowledgedWrites { get; private set; }

    /// <summary>A member is leader of <paramref name="term"/> (called after every call on a core that leads).</summary>
    public void ObserveLeader(GroupId group, Term term, NodeId member)
    {
        if (_leaders.TryGetValue((group.Value, term.Value), out var known))
        {
            if (known != member)
            {
                Fail("election-safety", $"{group} has two leaders in {term}: {known} and {member}");
            }

            return;
        }

        _leaders[(group.Value, term.Value)] = member;
    }

    /// <summary>Log matching, on every entry a member writes: same (index, term) ⇒ same entry and same prefix.</summary>
    public void ObserveStored(GroupId group, NodeId member, in StoredEntry stored)
    {
        var entry = stored.Entry;
        var key = (group.Value, entry.Index.Value, entry.Term.Value);
        if (_entries.TryGetValue(key, out var known))
        {
            if (known.Hash != stored.Hash)
            {
                Fail("log-matching", $"{member} of {group} stores a different entry at {entry.Index}/{entry.Term} than another member ({entry})");
            }

            if (known.Chain != stored.Chain)
            {
                Fail("log-matching", $"{member} of {group} stores {entry.Index}/{entry.Term} after a different log prefix than another member");
            }

            return;
        }

        _entries[key] = (stored.Hash, stored.Chain);
    }

    /// <summary>The hash chain recorded for the entry at (index, term), for a snapshot installed there.</summary>
    public bool TryGetChain(GroupId group, LogIndex index, Term term, out ulong chain)
    {
        if (index == LogIndex.Zero)
        {
            chain = Core.Fnv.Basis;
            return true;
        }

        var found = _entries.TryGetValue((group.Value, index.Value, term.Value), out var known);
        chain = known.Chain;
        return found;
    }

    /// <summary>State-machine safety, on every entry a member applies.</summary>
    public void ObserveApplied(GroupId group, NodeId member, Entry entry, ulong hash)
    {
        var record = Group(group);
        if (record.Committed.TryGetValue(entry.Index.Value, out var known))
        {
            if (known.Term != entry.Term || known.Hash != hash)
            {
                Fail("state-machine-safety", $"{member} of {group} applies {entry} at {entry.Index}, where another member applied the entry of {known.Term}");
            }

            return;
        }

        record.Committed[entry.Index.Value] = (entry.Term, hash);
        if (entry.Index.Value > record.MaxCommitted)
        {
            record.MaxCommitted = entry.Index.Value;
        }
    }

    /// <summary>A snapshot taken or installed at an index: all of them at one index hold the same state.</summary>
    public void ObserveSnapshot(GroupId group, NodeId member, SnapshotMeta meta)
    {
        var record = Group(group);
        if (record.Snapshots.TryGetValue(meta.Index.Value, out var known))
        {
            if (known != (meta.Term, meta.Checksum))
            {
                Fail("state-machine-safety", $"{member} of {group} has a snapshot at {meta.Index} whose state differs from another member's snapshot there");
            }

            return;
        }

        record.Snapshots[meta.Index.Value] = (meta.Term, meta.Checksum);
    }

    /// <summary>
    /// A leader of <paramref name="term"/> moved its commit index from <paramref name="from"/> to <paramref name="to"/>
    /// (host engine): the entries in between are committed in that term, the earliest term that counts for them.
    /// </summary>
    public void ObserveLeaderCommit(GroupId group, Term term, LogIndex from, LogIndex to)
    {
        var record = Group(group);
        for (var index = from.Next; index <= to; index = index.Next)
        {
            if (!record.CommitTerms.TryGetValue(index.Value, out var known) || term < known)
            {
                record.CommitTerms[index.Value] = term;
            }
        }
    }

    /// <summary>A client was told its write at (index, term) succeeded.</summary>
    public void ObserveAcknowledged(GroupId group, LogIndex index, Term term)
    {
        Group(group).Acknowledged[index.Value] = term;
        AcknowledgedWrites++;
    }

    /// <summary>
    /// Leader completeness and no acknowledged write lost, when <paramref name="leader"/> takes office in
    /// <paramref name="term"/>: its log (<paramref name="log"/>, everything it holds, written) has every entry known
    /// committed and every acknowledged write. Entries its snapshot covers are checked at the snapshot's index.
    /// </summary>
    public void CheckNewLeader(GroupId group, Term term, NodeId leader, IStoredLog log)
    {
        var record = Group(group);

        // Leader completeness is about entries committed in earlier terms (§3.6.3): when the term an entry was
        // committed in is known, one committed in this term or a later one (by a newer leader, while this one's first
        // write was still being synced) is no concern of this leader's.
        bool Concerns(ulong index) => !record.CommitTerms.TryGetValue(index, out var committedIn) || committedIn < term;
        foreach (var (index, ackTerm) in record.Acknowledged)
        {
            if (Concerns(index) && !Holds(log, index, ackTerm))
            {
                Fail("acknowledged-write-lost", $"{leader}, leader of {group} in {term}, lacks the acknowledged write at i{index}/t{ackTerm.Value} (its log: [{log.FirstIndex}, {log.LastIndex}])");
            }
        }

        for (var index = Math.Max(1, log.SnapshotIndex.Value); index <= record.MaxCommitted; index++)
        {
            if (record.Committed.TryGetValue(index, out var committed) && Concerns(index) && !Holds(log, index, committed.Term))
            {
                Fail("leader-completeness", $"{leader}, leader of {group} in {term}, lacks the committed entry at i{index}/{committed.Term} (its log: [{log.FirstIndex}, {log.LastIndex}])");
            }
        }
    }

    private static bool Holds(IStoredLog log, ulong index, Term term)
    {
        var at = new LogIndex(index);
        if (at < log.SnapshotIndex)
        {
            // Covered by its snapshot: checked at the snapshot's index, and by the snapshot agreement check.
            return true;
        }

        return log.TryGetTerm(at, out var held) && held == term;
    }

    private GroupRecord Group(GroupId group)
    {
        if (!_groups.TryGetValue(group.Value, out var record))
        {
            record = new GroupRecord();
            _groups[group.Value] = record;
        }

        return record;
    }

    private void Fail(string invariant, string detail) => throw new ViolationException(new Violation(invariant, detail, now()));

    private sealed class GroupRecord
    {
        public Dictionary<ulong, (Term Term, ulong Hash)> Committed { get; } = [];

        public Dictionary<ulong, (Term Term, ulong Checksum)> Snapshots { get; } = [];

        public Dictionary<ulong, Term> Acknowledged { get; } = [];

        /// <summary>The earliest term in which a leader committed each index (host engine only).</summary>
        public Dictionary<ulong, Term> CommitTerms { get; } = [];

        public ulong MaxCommitted { get; set; }
    }
}
