using Microsoft.Extensions.Logging;

namespace Statehouse.Cluster;

/// <summary>Source-generated log messages of the Cluster project (event ids 3000–3099).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Node {NodeId} started: snapshot index {SnapshotIndex} loaded at {SnapshotLoadedMs:F1} ms, replayed {Replayed} log entries, revision {Revision}, in {ElapsedMs:F1} ms")]
    public static partial void NodeStarted(ILogger logger, string nodeId, long snapshotIndex, double snapshotLoadedMs, long replayed, long revision, double elapsedMs);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Critical, Message = "Storage failed; the node refuses writes until restarted")]
    public static partial void StorageFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Critical, Message = "Applying log entry {Index} failed; the node refuses writes until restarted")]
    public static partial void ApplyFailed(ILogger logger, long index, Exception exception);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Apply loop stopped at index {Index}")]
    public static partial void LoopStopped(ILogger logger, long index);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Maintenance action failed")]
    public static partial void MaintenanceFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Snapshot at index {Index} (revision {Revision}): {Bytes} bytes in {ElapsedMs:F1} ms")]
    public static partial void SnapshotWritten(ILogger logger, long index, long revision, long bytes, double elapsedMs);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Error, Message = "Snapshot failed")]
    public static partial void SnapshotFailed(ILogger logger, Exception exception);
}
