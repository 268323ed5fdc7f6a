namespace Statehouse.Raft;

/// <summary>How one member of one group behaves. Every limit is explicit; the defaults suit a LAN.</summary>
public sealed record RaftOptions
{
    /// <summary>This member.</summary>
    public required NodeId Id { get; init; }

    /// <summary>The group.</summary>
    public required GroupId Group { get; init; }

    /// <summary>
    /// Ticks without hearing from a leader before a follower campaigns; each term draws a timeout in
    /// [ElectionTicks, 2 × ElectionTicks) from <see cref="RaftNode"/>'s seeded random source (thesis §3.4).
    /// </summary>
    public int ElectionTicks { get; init; } = 10;

    /// <summary>Ticks between a leader's heartbeats; well below <see cref="ElectionTicks"/> (thesis §3.4).</summary>
    public int HeartbeatTicks { get; init; } = 1;

    /// <summary>Ask for pre-votes before a real election so a partitioned node cannot disrupt (thesis §9.6).</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>A leader steps down if a quorum has not answered for an election timeout (thesis §6.2).</summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>Leader-lease reads (thesis §6.4.1); null (the default) means every read pays a heartbeat round.</summary>
    public LeaseReadOptions? LeaseReads { get; init; }

    /// <summary>Entry bytes per Append message (at least one entry is always sent).</summary>
    public long MaxAppendBytes { get; init; } = 1 << 20;

    /// <summary>Append messages in flight to one follower in the Replicate state (thesis §10.2.1 pipelining).</summary>
    public int MaxInflightAppends { get; init; } = 256;

    /// <summary>Entry bytes in flight to one follower; 0 = only <see cref="MaxInflightAppends"/> bounds it.</summary>
    public long MaxInflightBytes { get; init; }

    /// <summary>Bytes of proposed but uncommitted entries a leader accepts before it refuses proposals.</summary>
    public long MaxUncommittedBytes { get; init; } = 64L << 20;

    /// <summary>Bytes of committed entries handed out per <see cref="Ready"/> (at least one entry).</summary>
    public long MaxCommittedBytesPerReady { get; init; } = 8L << 20;

    /// <summary>Bytes per snapshot chunk.</summary>
    public int SnapshotChunkBytes { get; init; } = 1 << 20;

    /// <summary>Snapshot chunks in flight to one follower.</summary>
    public int MaxInflightSnapshotChunks { get; init; } = 4;

    /// <summary>Ticks without snapshot progress before the leader resends from the follower's acknowledged offset.</summary>
    public int SnapshotRetryTicks { get; init; } = 10;

    /// <summary>A learner is promoted only when it is at most this many entries behind the leader's last index.</summary>
    public ulong PromotionLagEntries { get; init; } = 1000;

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        if (Id.IsNone)
        {
            throw new ArgumentException("Id must not be 0.");
        }

        Check(ElectionTicks >= 2, "ElectionTicks must be at least 2.");
        Check(HeartbeatTicks >= 1 && HeartbeatTicks < ElectionTicks, "HeartbeatTicks must be at least 1 and below ElectionTicks.");
        Check(MaxAppendBytes > 0, "MaxAppendBytes must be positive.");
        Check(MaxInflightAppends >= 1, "MaxInflightAppends must be at least 1.");
        Check(MaxInflightBytes >= 0, "MaxInflightBytes must not be negative.");
        Check(MaxUncommittedBytes > 0, "MaxUncommittedBytes must be positive.");
        Check(MaxCommittedBytesPerReady > 0, "MaxCommittedBytesPerReady must be positive.");
        Check(SnapshotChunkBytes > 0, "SnapshotChunkBytes must be positive.");
        Check(MaxInflightSnapshotChunks >= 1, "MaxInflightSnapshotChunks must be at least 1.");
        Check(SnapshotRetryTicks >= 1, "SnapshotRetryTicks must be at least 1.");
        if (LeaseReads is { } lease)
        {
            Check(CheckQuorum, "Lease reads need CheckQuorum: without it a deposed leader may keep serving.");
            Check(lease.MaxClockDriftRatio is > 0 and < 1, "MaxClockDriftRatio must be in (0, 1).");
            Check(LeaseTicks(lease, ElectionTicks) >= 1, "The lease left after the drift bound is under one tick; raise ElectionTicks.");
        }

        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentException(message);
            }
        }
    }

    /// <summary>
    /// The lease a leader may assume from the moment it sent a round a quorum acknowledged: voters refuse other
    /// candidates for ElectionTicks of their own clock, which may run faster by the drift ratio; two ticks go for the
    /// tick granularity on both sides (thesis §6.4.1).
    /// </summary>
    internal static int LeaseTicks(LeaseReadOptions lease, int electionTicks) =>
        (int)Math.Floor(electionTicks / (1 + lease.MaxClockDriftRatio)) - 2;
}

/// <summary>
/// Leader-lease reads: the leader answers a read without a heartbeat round while its lease holds. Only safe when
/// the host vouches that no member's clock runs faster than another's by more than <see cref="MaxClockDriftRatio"/>.
/// </summary>
/// <param name="MaxClockDriftRatio">The largest relative rate difference between members' tick sources (e.g. 0.1).</param>
public sealed record LeaseReadOptions(double MaxClockDriftRatio);
