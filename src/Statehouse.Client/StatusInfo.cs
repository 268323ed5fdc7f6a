namespace Statehouse.Client;

/// <summary>The state of the node that answered a status request.</summary>
public sealed record StatusInfo
{
    /// <summary>The node that answered.</summary>
    public required string NodeId { get; init; }

    /// <summary>The server's version.</summary>
    public required string Version { get; init; }

    /// <summary>The current store revision.</summary>
    public long Revision { get; init; }

    /// <summary>History is compacted up to this revision.</summary>
    public long CompactRevision { get; init; }

    /// <summary>The last log index applied to the state machine.</summary>
    public ulong AppliedIndex { get; init; }

    /// <summary>The last committed log index.</summary>
    public ulong CommitIndex { get; init; }

    /// <summary>The number of live keys.</summary>
    public long Keys { get; init; }

    /// <summary>The bytes of live keys and values.</summary>
    public long Bytes { get; init; }

    /// <summary>How long the node has been running.</summary>
    public TimeSpan Uptime { get; init; }

    /// <summary>The number of live leases.</summary>
    public long Leases { get; init; }

    /// <summary>The leader's address as the node knows it (empty when unknown).</summary>
    public required string Leader { get; init; }

    /// <summary>The Raft term.</summary>
    public long Term { get; init; }

    /// <summary>The log index of the latest snapshot.</summary>
    public ulong SnapshotIndex { get; init; }

    /// <summary>The size of the write-ahead log on disk.</summary>
    public long WalBytes { get; init; }
}
