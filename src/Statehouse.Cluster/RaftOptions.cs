using System.Net;

namespace Statehouse.Cluster;

/// <summary>How a node takes part in a Raft cluster. Absent (<see cref="NodeOptions.Raft"/> null): a single-node cluster.</summary>
public sealed record RaftOptions
{
    /// <summary>Where this node listens for Raft traffic (and how the other members reach it).</summary>
    public required IPEndPoint Endpoint { get; init; }

    /// <summary>
    /// The founding members (id → Raft endpoint), this node included. Read only on the first start, when the data folder
    /// holds no membership yet. Empty for a node that joins a running cluster: it waits to be added.
    /// </summary>
    public IReadOnlyDictionary<string, IPEndPoint> InitialMembers { get; init; } = new Dictionary<string, IPEndPoint>();

    /// <summary>Lower bound of the randomized election timeout (DotNext's notes: below ~500 ms is unstable on starved CPUs).</summary>
    public int ElectionTimeoutMinMs { get; init; } = 500;

    /// <summary>Upper bound of the randomized election timeout.</summary>
    public int ElectionTimeoutMaxMs { get; init; } = 1000;

    /// <summary>
    /// Raft request timeout. Below the lower election timeout (a hung member must not stall elections: DotNext 6.12
    /// counts votes only after every member answered or failed), yet long enough to send a snapshot.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMilliseconds(400);

    /// <summary>What this node tells its peers about itself (node id, HTTP and gRPC addresses).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Recent log entries kept in memory for replication and apply, in bytes.</summary>
    public long TailCacheBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Replication requests DotNext queues per follower (its MaxReplicationLag, default 16). Every write batch and every
    /// linearizable read barrier adds one; when the queue is full DotNext counts that follower as unavailable for the
    /// request ("member is too far behind"), and the commit waits for a later round: a latency spike under load.
    /// </summary>
    public int ReplicationQueueLength { get; init; } = 256;

    /// <summary>Most log entries (command batches) a leader has in flight at once.</summary>
    public int MaxEntriesInFlight { get; init; } = 32;

    /// <summary>
    /// The watchdog restarts the Raft group from disk when the applied index has not moved for this long while the
    /// commit index is ahead of it (a stuck apply or log). 0 = off.
    /// </summary>
    public int WatchdogStallMs { get; init; } = 10_000;

    /// <summary>Metadata keys.</summary>
    public static class MetadataKeys
    {
        /// <summary>Node id.</summary>
        public const string NodeId = "statehouse.id";

        /// <summary>HTTP address.</summary>
        public const string Http = "statehouse.http";

        /// <summary>gRPC address (client API).</summary>
        public const string Grpc = "statehouse.grpc";

        /// <summary>Peer listener address (node-to-node calls; absent on nodes older than the peer plane).</summary>
        public const string Peer = "statehouse.peer";

        /// <summary>
        /// A random id per process start: tells a process apart from a fresh one started later at the same address
        /// (a replaced member), so a late "you were removed" meant for the old one does not stop the new one.
        /// </summary>
        public const string Incarnation = "statehouse.incarnation";
    }
}
