namespace Statehouse.Raft;

/// <summary>The messages members of a group exchange (the host carries them; the core never sends anything itself).</summary>
public enum MessageKind : byte
{
    /// <summary>Would you vote for me in <see cref="Message.Term"/>? Changes no one's term (thesis §9.6).</summary>
    PreVote = 1,
    PreVoteResponse,

    /// <summary>RequestVote (thesis §3.4).</summary>
    Vote,
    VoteResponse,

    /// <summary>AppendEntries with entries (thesis §3.5).</summary>
    Append,
    AppendResponse,

    /// <summary>AppendEntries without entries: keeps followers from starting elections, carries commit and read rounds.</summary>
    Heartbeat,
    HeartbeatResponse,

    /// <summary>One chunk of InstallSnapshot (thesis §5.1), resumable from the receiver's acknowledged offset.</summary>
    Snapshot,
    SnapshotResponse,

    /// <summary>Start an election now: the leader hands over (thesis §3.10).</summary>
    TimeoutNow,

    /// <summary>A follower asks the leader for a read index on behalf of its client (thesis §6.4).</summary>
    ReadIndex,
    ReadIndexResponse,
}

/// <summary>
/// One message between members of a group. Immutable; the host encodes it for the wire (issue 13) or, in the
/// simulator, passes the object itself.
/// </summary>
public sealed record Message
{
    /// <summary>What the message is.</summary>
    public required MessageKind Kind { get; init; }

    /// <summary>The replica group it belongs to (the host routes on it).</summary>
    public required GroupId Group { get; init; }

    /// <summary>The sender.</summary>
    public required NodeId From { get; init; }

    /// <summary>The receiver.</summary>
    public required NodeId To { get; init; }

    /// <summary>The sender's term; for a pre-vote, the term the candidate would campaign in.</summary>
    public required Term Term { get; init; }

    /// <summary>
    /// Append/Heartbeat: term of the entry before <see cref="Entries"/>. Vote/PreVote: the candidate's last log term.
    /// AppendResponse rejection: the term of the follower's entry at <see cref="RejectHint"/>.
    /// </summary>
    public Term LogTerm { get; init; }

    /// <summary>
    /// Append: index of the entry before <see cref="Entries"/>. Vote/PreVote: the candidate's last log index.
    /// AppendResponse: the follower's last matching index. ReadIndexResponse: the read index.
    /// SnapshotResponse: the snapshot's index.
    /// </summary>
    public LogIndex Index { get; init; }

    /// <summary>Entries to append (Append only).</summary>
    public IReadOnlyList<Entry> Entries { get; init; } = [];

    /// <summary>The sender's commit index (Append, Heartbeat).</summary>
    public LogIndex Commit { get; init; }

    /// <summary>A vote or pre-vote refused, an append that did not match, a snapshot chunk out of place.</summary>
    public bool Reject { get; init; }

    /// <summary>AppendResponse rejection: where the follower suggests the leader probe next (thesis §5.4.1 optimisation).</summary>
    public LogIndex RejectHint { get; init; }

    /// <summary>Heartbeat(Response): the read round. ReadIndex(Response): the requester's read id.</summary>
    public ulong Context { get; init; }

    /// <summary>Vote: sent because the leader handed over, so voters drop their leader stickiness (thesis §4.2.3).</summary>
    public bool LeaderTransfer { get; init; }

    /// <summary>Snapshot(Response): the snapshot concerned.</summary>
    public SnapshotMeta? Snapshot { get; init; }

    /// <summary>Snapshot: where <see cref="SnapshotData"/> starts. SnapshotResponse: bytes the receiver now holds.</summary>
    public long SnapshotOffset { get; init; }

    /// <summary>Snapshot: this chunk's bytes.</summary>
    public ReadOnlyMemory<byte> SnapshotData { get; init; }

    /// <summary>Snapshot: the last chunk. SnapshotResponse: the snapshot is complete and installed.</summary>
    public bool SnapshotDone { get; init; }

    /// <summary>Bytes counted against message limits.</summary>
    public long SizeBytes
    {
        get
        {
            long size = 64 + SnapshotData.Length;
            foreach (var entry in Entries)
            {
                size += entry.SizeBytes;
            }

            return size;
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = $"{From}->{To} {Kind} {Term}";
        return Kind switch
        {
            MessageKind.Append => $"{text} prev {Index.Value}/{LogTerm.Value} entries {Entries.Count} commit {Commit.Value}",
            MessageKind.AppendResponse => Reject ? $"{text} reject {Index.Value} hint {RejectHint.Value}/{LogTerm.Value}" : $"{text} match {Index.Value}",
            MessageKind.Vote or MessageKind.PreVote => $"{text} last {Index.Value}/{LogTerm.Value}{(LeaderTransfer ? " transfer" : string.Empty)}",
            MessageKind.VoteResponse or MessageKind.PreVoteResponse => $"{text} {(Reject ? "rejected" : "granted")}",
            MessageKind.Heartbeat => $"{text} commit {Commit.Value} round {Context}",
            MessageKind.HeartbeatResponse => $"{text} round {Context} last {Index.Value}",
            MessageKind.Snapshot => $"{text} {Snapshot} at {SnapshotOffset} {SnapshotData.Length}B{(SnapshotDone ? " last" : string.Empty)}",
            MessageKind.SnapshotResponse => $"{text} {Snapshot} holds {SnapshotOffset}{(SnapshotDone ? " done" : string.Empty)}{(Reject ? " reject" : string.Empty)}",
            MessageKind.ReadIndex => $"{text} read {Context}",
            MessageKind.ReadIndexResponse => $"{text} read {Context} index {Index.Value}{(Reject ? " rejected" : string.Empty)}",
            _ => text,
        };
    }
}
