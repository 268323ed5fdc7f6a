namespace Statehouse.Raft;

/// <summary>How a leader sends to one follower (etcd-io/raft's progress states; thesis §10.2.1 for pipelining).</summary>
internal enum ProgressState : byte
{
    /// <summary>Where the follower's log matches is unknown: one Append at a time, per heartbeat.</summary>
    Probe,

    /// <summary>The logs match up to Match: stream Appends optimistically, up to the in-flight window.</summary>
    Replicate,

    /// <summary>The follower needs entries the leader compacted: stream a snapshot in chunks.</summary>
    Snapshot,
}

/// <summary>What the leader knows about one member's log.</summary>
internal sealed class Progress(int maxInflight, long maxInflightBytes)
{
    /// <summary>Highest index known to match the leader's log.</summary>
    public LogIndex Match { get; set; }

    /// <summary>Next index to send.</summary>
    public LogIndex Next { get; set; }

    public ProgressState State { get; private set; } = ProgressState.Probe;

    /// <summary>In Probe: an Append went out and no answer came yet (send nothing more until a heartbeat answer).</summary>
    public bool ProbeSent { get; set; }

    /// <summary>The commit index carried by the last Append sent (an empty Append only goes out to move it).</summary>
    public LogIndex SentCommit { get; set; }

    /// <summary>Heard from since the last check-quorum (thesis §6.2).</summary>
    public bool RecentActive { get; set; }

    /// <summary>The highest heartbeat round it acknowledged in this term (ReadIndex, leases).</summary>
    public ulong AckedRound { get; set; }

    public Inflights Inflights { get; } = new(maxInflight, maxInflightBytes);

    /// <summary>In Snapshot: the snapshot being streamed.</summary>
    public SnapshotMeta? Snapshot { get; private set; }

    /// <summary>In Snapshot: bytes the follower has acknowledged.</summary>
    public long SnapshotAcked { get; set; }

    /// <summary>In Snapshot: bytes sent (acknowledged or in flight).</summary>
    public long SnapshotSent { get; set; }

    /// <summary>In Snapshot: ticks since the follower last acknowledged progress.</summary>
    public int SnapshotIdleTicks { get; set; }

    public void BecomeProbe()
    {
        // Coming back from a snapshot, the follower holds at least the snapshot: probe just after it.
        var next = State == ProgressState.Snapshot && Snapshot is { } snapshot
            ? LogIndex.Max(Match.Next, snapshot.Index.Next)
            : Match.Next;
        Reset(ProgressState.Probe);
        Next = next;
    }

    public void BecomeReplicate()
    {
        Reset(ProgressState.Replicate);
        Next = Match.Next;
    }

    public void BecomeSnapshot(SnapshotMeta snapshot)
    {
        Reset(ProgressState.Snapshot);
        Snapshot = snapshot;
    }

    /// <summary>Records a successful append up to <paramref name="index"/>; false if it told nothing new.</summary>
    public bool MaybeUpdate(LogIndex index)
    {
        var updated = false;
        if (Match < index)
        {
            Match = index;
            updated = true;
            ProbeSent = false;
        }

        Next = LogIndex.Max(Next, index.Next);
        return updated;
    }

    /// <summary>
    /// Handles a rejected append of <paramref name="rejected"/>; moves Next back (to <paramref name="hint"/> + 1 at
    /// most). False if the rejection is stale (answers an older send).
    /// </summary>
    public bool MaybeDecrement(LogIndex rejected, LogIndex hint)
    {
        if (State == ProgressState.Replicate)
        {
            // A rejection of something already known to match is stale.
            if (rejected <= Match)
            {
                return false;
            }

            Next = Match.Next;
            return true;
        }

        // In Probe only the rejection of the last probe (Next - 1) counts.
        if (Next.Previous != rejected)
        {
            return false;
        }

        Next = LogIndex.Max(LogIndex.Min(rejected, hint.Next), Match.Next);
        Invariant.Assert(Next.Value >= 1);
        ProbeSent = false;
        return true;
    }

    /// <summary>Whether the leader must hold back Appends to this follower.</summary>
    public bool IsPaused => State switch
    {
        ProgressState.Probe => ProbeSent,
        ProgressState.Replicate => Inflights.IsFull,
        _ => true,
    };

    private void Reset(ProgressState state)
    {
        State = state;
        ProbeSent = false;
        Snapshot = null;
        SnapshotAcked = 0;
        SnapshotSent = 0;
        SnapshotIdleTicks = 0;
        Inflights.Reset();
    }

    public override string ToString() => $"{State} match {Match.Value} next {Next.Value}" + (Snapshot is null ? string.Empty : $" {Snapshot} acked {SnapshotAcked}");
}
