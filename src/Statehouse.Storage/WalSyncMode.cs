namespace Statehouse.Storage;

/// <summary>How the write-ahead log makes its writes durable.</summary>
public enum WalSyncMode
{
    /// <summary>fdatasync every segment write and fsync the directory on file changes: durable on return.</summary>
    FDataSync,

    /// <summary>Never sync. A crash or power loss can lose acknowledged records: tests and benchmarks only.</summary>
    None,
}
