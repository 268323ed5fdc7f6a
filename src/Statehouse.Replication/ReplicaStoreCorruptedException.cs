namespace Statehouse.Replication;

/// <summary>A node's replica store does not hold what its own records promise (e.g. a compaction point without its snapshot).</summary>
public sealed class ReplicaStoreCorruptedException(string message) : IOException(message);
