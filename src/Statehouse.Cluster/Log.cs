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

    [LoggerMessage(EventId = 3007, Level = LogLevel.Critical, Message = "Starting DESPITE DATA LOSS because --accept-wal-loss is set: {Problem}")]
    public static partial void WalLossAccepted(ILogger logger, string problem);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Critical, Message = "The Raft log failed; the node stops serving writes until restarted")]
    public static partial void RaftLogFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Installed a snapshot from the leader at index {Index} (term {Term}): {Bytes} bytes in {ElapsedMs:F1} ms")]
    public static partial void SnapshotInstalled(ILogger logger, long index, long term, long bytes, double elapsedMs);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Raft node {NodeId} started at {Endpoint}: term {Term}, applied {Applied}, log to {LastIndex}, snapshot {SnapshotIndex}, members {Members}")]
    public static partial void RaftStarted(ILogger logger, string nodeId, string endpoint, long term, long applied, long lastIndex, long snapshotIndex, string members);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "Leader is now {Leader} (term {Term})")]
    public static partial void LeaderChanged(ILogger logger, string leader, long term);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "Watchdog: applied index {Applied} has not moved for {StalledMs} ms while the commit index is {Commit}; restarting the Raft group from disk")]
    public static partial void WatchdogRecovering(ILogger logger, long applied, long commit, long stalledMs);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Error, Message = "Watchdog recovery failed")]
    public static partial void WatchdogFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Information, Message = "This node became the leader in term {Term}; lease deadlines restart with their full TTL")]
    public static partial void BecameLeader(ILogger logger, long term);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Warning, Message = "This node was removed from the cluster by {RemovedBy}; its Raft group is stopped")]
    public static partial void RemovedFromCluster(ILogger logger, string removedBy);
}
