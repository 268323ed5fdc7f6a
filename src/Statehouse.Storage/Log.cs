using Microsoft.Extensions.Logging;

namespace Statehouse.Storage;

/// <summary>
/// Source-generated log messages of Statehouse.Storage. Event ids 2000–2099: 2000–2019 write-ahead log,
/// 2020–2039 snapshots, 2040–2049 Raft metadata.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information,
        Message = "WAL opened in {Directory}: {SegmentCount} segments, records {FirstIndex}..{LastIndex}, recovery took {ElapsedMs} ms")]
    public static partial void WalOpened(ILogger logger, string directory, int segmentCount, long firstIndex, long lastIndex, long elapsedMs);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning,
        Message = "WAL recovery cut the tail of {SegmentPath} at offset {OffsetBytes} ({TruncatedBytes} bytes of an unacknowledged append): {Reason}")]
    public static partial void WalTailTruncated(ILogger logger, string segmentPath, long offsetBytes, long truncatedBytes, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning,
        Message = "WAL recovery deleted {SegmentPath}: its header was never completely written (crash while creating it)")]
    public static partial void WalTornSegmentDiscarded(ILogger logger, string segmentPath);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "WAL segment {SegmentPath} created for index {FirstIndex}")]
    public static partial void WalSegmentCreated(ILogger logger, string segmentPath, long firstIndex);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Critical,
        Message = "WAL {Operation} failed; the log is poisoned and the process must restart to recover from disk")]
    public static partial void WalFailed(ILogger logger, Exception exception, string operation);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information,
        Message = "WAL suffix truncated from index {FromIndex} (last index was {PreviousLastIndex})")]
    public static partial void WalSuffixTruncated(ILogger logger, long fromIndex, long previousLastIndex);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information,
        Message = "WAL prefix truncated through index {ThroughIndex}: {DeletedSegmentCount} segments deleted, first index now {FirstIndex}")]
    public static partial void WalPrefixTruncated(ILogger logger, long throughIndex, int deletedSegmentCount, long firstIndex);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "WAL directory holds an unexpected file {FileName}; ignored")]
    public static partial void WalUnknownFileIgnored(ILogger logger, string fileName);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning,
        Message = "WAL opened with SyncMode {SyncMode}: acknowledged records can be lost on a crash (tests and benchmarks only)")]
    public static partial void WalUnsafeSyncMode(ILogger logger, WalSyncMode syncMode);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information,
        Message = "WAL reset after snapshot {SnapshotIndex} (term {SnapshotTerm}): {DeletedSegmentCount} segments deleted, records were {PreviousFirstIndex}..{PreviousLastIndex}")]
    public static partial void WalReset(ILogger logger, long snapshotIndex, long snapshotTerm, int deletedSegmentCount, long previousFirstIndex, long previousLastIndex);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning,
        Message = "WAL recovery deleted {SegmentCount} segments superseded by the base segment at index {FirstIndex} (crash during a reset)")]
    public static partial void WalSupersededSegmentsDeleted(ILogger logger, int segmentCount, long firstIndex);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning,
        Message = "WAL recovery deleted {FileName}, left by a reset that crashed before it took effect")]
    public static partial void WalResetLeftoverDeleted(ILogger logger, string fileName);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Critical,
        Message = "WAL opened DESPITE DATA LOSS because AcceptDataLoss (--accept-wal-loss) is set; acknowledged writes may be gone: {Problem}")]
    public static partial void WalDataLossAccepted(ILogger logger, string problem);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Warning,
        Message = "WAL segment {SegmentPath} set aside as {LostPath} after an accepted data loss")]
    public static partial void WalSegmentSetAside(ILogger logger, string segmentPath, string lostPath);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Warning,
        Message = "WAL manifest {ManifestPath} created from the segments found ({Outcome}: none before, e.g. a log written by an older version); it checks the log from now on")]
    public static partial void WalManifestCreated(ILogger logger, string manifestPath, string outcome);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Warning,
        Message = "WAL manifest {ManifestPath}: one slot ignored ({Problem}); the other holds the state before the interrupted write")]
    public static partial void WalManifestSlotIgnored(ILogger logger, string manifestPath, string problem);

    [LoggerMessage(EventId = 2016, Level = LogLevel.Warning,
        Message = "WAL segments from {SegmentName} up to index {FoundFirstIndex} are missing, but the snapshot through index {CoveredThroughIndex} holds their records; starting")]
    public static partial void WalCoveredPrefixMissing(ILogger logger, string segmentName, long foundFirstIndex, long coveredThroughIndex);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Information,
        Message = "Snapshot {SnapshotPath} committed: index {Index}, term {Term}, {BodyBytes} body bytes")]
    public static partial void SnapshotCommitted(ILogger logger, string snapshotPath, long index, long term, long bodyBytes);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Error,
        Message = "Snapshot {SnapshotPath} failed verification and is set aside as {CorruptPath}: {Reason}")]
    public static partial void SnapshotRejected(ILogger logger, string snapshotPath, string corruptPath, string reason);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Information, Message = "Leftover snapshot temp file {SnapshotPath} deleted")]
    public static partial void SnapshotTempDeleted(ILogger logger, string snapshotPath);

    [LoggerMessage(EventId = 2023, Level = LogLevel.Debug, Message = "Old snapshot {SnapshotPath} deleted (keeping {KeepCount})")]
    public static partial void SnapshotDeleted(ILogger logger, string snapshotPath, int keepCount);

    [LoggerMessage(EventId = 2024, Level = LogLevel.Information, Message = "Snapshot write {SnapshotPath} abandoned without commit; temp file deleted")]
    public static partial void SnapshotAbandoned(ILogger logger, string snapshotPath);

    [LoggerMessage(EventId = 2025, Level = LogLevel.Information,
        Message = "Snapshot store opened in {Directory}: latest index {LatestIndex}, {RejectedCount} rejected")]
    public static partial void SnapshotStoreOpened(ILogger logger, string directory, long latestIndex, int rejectedCount);

    [LoggerMessage(EventId = 2040, Level = LogLevel.Debug, Message = "Raft metadata saved: term {Term}, voted for {VotedFor}")]
    public static partial void RaftMetadataSaved(ILogger logger, long term, string? votedFor);
}
