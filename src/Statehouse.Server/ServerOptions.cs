using Statehouse.Core;

namespace Statehouse.Server;

/// <summary>How a node process is run: where its data lives, where it listens, and its limits.</summary>
public sealed record ServerOptions
{
    /// <summary>Data folder (log, snapshots). Default ./data.</summary>
    public string DataDirectory { get; init; } = "./data";

    /// <summary>HTTP/JSON endpoint, host:port. Default 127.0.0.1:7070.</summary>
    public string HttpEndpoint { get; init; } = "127.0.0.1:7070";

    /// <summary>gRPC endpoint (HTTP/2 cleartext), host:port. Default 127.0.0.1:7071.</summary>
    public string GrpcEndpoint { get; init; } = "127.0.0.1:7071";

    /// <summary>This node's id.</summary>
    public string NodeId { get; init; } = "n1";

    /// <summary>State machine limits.</summary>
    public StoreLimits Limits { get; init; } = StoreLimits.Default;

    /// <summary>Largest HTTP request body; a bigger one gets 413 InvalidArgument. Default: the value limit plus 64 KiB.</summary>
    public long? MaxRequestBodyBytes { get; init; }

    /// <summary>Largest gRPC message, in and out. Default: value limit plus 1 MiB of framing.</summary>
    public int? MaxGrpcMessageBytes { get; init; }

    /// <summary>Most concurrent watch streams on the node; more get Unavailable.</summary>
    public int MaxWatchers { get; init; } = 10_000;

    /// <summary>
    /// Most concurrent watch streams one client connection may hold (gRPC multiplexes many on one HTTP/2 connection;
    /// an HTTP/1.1 connection holds one), so one client cannot take every slot of <see cref="MaxWatchers"/>; more get
    /// QuotaExceeded (gRPC RESOURCE_EXHAUSTED, HTTP 429). Later also per principal, once there is authentication.
    /// </summary>
    public int MaxWatchersPerConnection { get; init; } = 500;

    /// <summary>Default interval of watch progress notifications.</summary>
    public int WatchProgressIntervalMs { get; init; } = 5_000;

    /// <summary>About the most bytes of keys and values in one watch response; a bigger revision is sent in fragments.</summary>
    public long MaxWatchResponseBytes { get; init; } = 1 << 20;

    /// <summary>Most events sent in one watch response.</summary>
    public int MaxEventsPerWatchResponse { get; init; } = 1_000;

    /// <summary>Most keys in one multi-get.</summary>
    public int MaxMultiGetKeys { get; init; } = 1_000;

    /// <summary>fdatasync every log entry (the default). Off only for benchmarks of the non-durable ceiling.</summary>
    public bool SyncWrites { get; init; } = true;

    /// <summary>
    /// Start even when the log holds less than it is known to have held (lost or damaged segments or snapshots),
    /// keeping what is valid; logged as critical. Off by default: the node refuses to start. See docs/internals/storage.md.
    /// </summary>
    public bool AcceptWalLoss { get; init; }

    /// <summary>Size of a WAL segment file (64 MiB by default; at least 64 bytes).</summary>
    public long WalSegmentSizeBytes { get; init; } = 64L << 20;

    /// <summary>Snapshot after this many log entries.</summary>
    public long SnapshotThresholdEntries { get; init; } = 100_000;

    /// <summary>History kept for watches and revision reads, in revisions.</summary>
    public long HistoryRetentionRevisions { get; init; } = 100_000;

    /// <summary>History older than this is compacted; 0 keeps it by revisions only.</summary>
    public long HistoryRetentionMs { get; init; } = 10 * 60 * 1000;

    /// <summary>Raft listener, host:port. Required with <see cref="InitialCluster"/> or <see cref="Join"/>.</summary>
    public string? RaftEndpoint { get; init; }

    /// <summary>
    /// The peer listener, host:port: node-to-node calls (forwarded writes, read index, lease routing, status probes,
    /// removal notices) are served only here, never on the client HTTP or gRPC port. Null: the Raft host with the Raft
    /// port + 1.
    /// </summary>
    public string? PeerEndpoint { get; init; }

    /// <summary>How often a follower checks with the leader that it is still in the committed configuration, ms.</summary>
    public int MembershipCheckIntervalMs { get; init; } = 2_000;

    /// <summary><see cref="PeerEndpoint"/>, or its default from <see cref="RaftEndpoint"/>; null for a single node.</summary>
    public string? EffectivePeerEndpoint
    {
        get
        {
            if (PeerEndpoint is not null || RaftEndpoint is null)
            {
                return PeerEndpoint;
            }

            var colon = RaftEndpoint.LastIndexOf(':');
            return colon > 0 && int.TryParse(RaftEndpoint.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture, out var port) && port < 65535
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{RaftEndpoint[..colon]}:{port + 1}")
                : null;
        }
    }

    /// <summary>
    /// The cluster's founding members as <c>id=host:port</c> (Raft addresses), this node included. Empty with no
    /// <see cref="Join"/>: a single-node cluster (the embedded default).
    /// </summary>
    public IReadOnlyList<string> InitialCluster { get; init; } = [];

    /// <summary>HTTP URLs of running members this node asks to add it (a new node joining a running cluster).</summary>
    public IReadOnlyList<string> Join { get; init; } = [];

    /// <summary>Lower bound of the randomized election timeout, ms.</summary>
    public int ElectionTimeoutMinMs { get; init; } = 500;

    /// <summary>Upper bound of the randomized election timeout, ms.</summary>
    public int ElectionTimeoutMaxMs { get; init; } = 1000;

    /// <summary>
    /// Raft request timeout (votes, AppendEntries, InstallSnapshot), ms. It must be below
    /// <see cref="ElectionTimeoutMinMs"/>: DotNext 6.12's candidate waits for every member's vote answer, so a member that
    /// hangs (paused, partitioned) fails every election unless its vote request times out first
    /// (docs/internals/raft-integration.md). It must also cover sending a snapshot: raise both for large states.
    /// </summary>
    public int RaftRequestTimeoutMs { get; init; } = 400;

    /// <summary>Bounded-staleness reads without an explicit bound accept a replica at most this far behind, ms.</summary>
    public int DefaultMaxStalenessMs { get; init; } = 1000;

    /// <summary>How long a session read waits for this replica to reach the client's token before it fails Unavailable.</summary>
    public int SessionReadWaitMs { get; init; } = 1000;

    /// <summary>True when this node runs as a member of a Raft cluster (not the embedded single node).</summary>
    public bool Clustered => InitialCluster.Count > 0 || Join.Count > 0;

    /// <summary>Minimum log level name (Trace..Critical).</summary>
    public string LogLevel { get; init; } = "Information";

    /// <summary>The effective HTTP body limit.</summary>
    public long EffectiveMaxRequestBodyBytes => MaxRequestBodyBytes ?? (Limits.MaxValueBytes + (64L * 1024));

    /// <summary>The effective gRPC message limit.</summary>
    public int EffectiveMaxGrpcMessageBytes => MaxGrpcMessageBytes ?? (Limits.MaxValueBytes + (1 << 20));
}
