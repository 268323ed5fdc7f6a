namespace Statehouse.Storage;

/// <summary>What <see cref="WriteAheadLog.Open"/> found and repaired.</summary>
public sealed record RecoveryReport
{
    /// <summary>Segment files kept.</summary>
    public int SegmentCount { get; init; }

    /// <summary>Records recovered (all checksums verified).</summary>
    public long RecordCount { get; init; }

    /// <summary>Whether a torn or corrupt tail of the last segment was cut off.</summary>
    public bool TailTruncated { get; init; }

    /// <summary>The segment whose tail was cut off; null when none was.</summary>
    public string? TailSegmentPath { get; init; }

    /// <summary>Offset where the last segment was cut; -1 when nothing was cut.</summary>
    public long TailOffsetBytes { get; init; } = -1;

    /// <summary>Non-zero bytes dropped from the tail (the unacknowledged, partly written append).</summary>
    public long TailTruncatedBytes { get; init; }

    /// <summary>Why the tail was cut; null when it was not.</summary>
    public string? TailReason { get; init; }

    /// <summary>Last segment files deleted because their header was never completely written (crash in creation).</summary>
    public int DiscardedSegmentCount { get; init; }

    /// <summary>
    /// Segment files deleted because a reset (<see cref="WriteAheadLog.ResetAfterSnapshot"/>) had already put its
    /// empty base segment in place after them when the process stopped.
    /// </summary>
    public int SupersededSegmentCount { get; init; }

    /// <summary>Segment files renamed to <c>*.lost</c> because <see cref="WalOptions.AcceptDataLoss"/> let the log open past damage.</summary>
    public int SetAsideSegmentCount { get; init; }

    /// <summary>Whether a valid <c>wal.manifest</c> was found (false for a new log or one written before manifests).</summary>
    public bool ManifestFound { get; init; }

    /// <summary>Whether the log opened despite data loss or corruption, because <see cref="WalOptions.AcceptDataLoss"/> was set.</summary>
    public bool DataLossAccepted { get; init; }

    /// <summary>Time the scan took.</summary>
    public long ElapsedMs { get; init; }
}
