namespace Statehouse.Storage;

/// <summary>Settings of a <see cref="WriteAheadLog"/>. Every limit has a default; see docs/internals/storage.md.</summary>
public sealed class WalOptions
{
    /// <summary>Largest accepted <see cref="SegmentSizeBytes"/> (1 GiB), so recovery can scan a segment in memory.</summary>
    public const long MaxSegmentSizeBytes = 1L << 30;

    /// <summary>Largest accepted <see cref="MaxRecordBytes"/> (256 MiB).</summary>
    public const int MaxRecordBytesLimit = 256 << 20;

    /// <summary>Directory holding the segment files; created if missing.</summary>
    public required string Directory { get; init; }

    /// <summary>
    /// A segment rolls over before a record would take it past this size (64 MiB by default). A record never spans
    /// segments, so a segment holding a single record larger than this is allowed. Minimum 64 bytes.
    /// </summary>
    public long SegmentSizeBytes { get; init; } = 64L << 20;

    /// <summary>Largest accepted payload of one record (64 MiB by default); larger appends throw.</summary>
    public int MaxRecordBytes { get; init; } = 64 << 20;

    /// <summary>
    /// Largest write buffer one <see cref="WriteAheadLog.Append"/> rents (1 MiB by default): a batch up to this size
    /// is one write syscall; a single larger record gets a buffer of its own size.
    /// </summary>
    public int WriteBufferBytes { get; init; } = 1 << 20;

    /// <summary>
    /// Preallocate each segment to <see cref="SegmentSizeBytes"/> (posix_fallocate) so fdatasync after an append
    /// need not also commit a new file size. On by default; see docs/internals/storage.md for the measurement.
    /// </summary>
    public bool PreallocateSegments { get; init; } = true;

    /// <summary>Durability mode; anything but <see cref="WalSyncMode.FDataSync"/> is for tests and benchmarks.</summary>
    public WalSyncMode SyncMode { get; init; } = WalSyncMode.FDataSync;

    /// <summary>
    /// How long after an append the WAL manifest's high-water index may lag (20 ms by default): after appends, a
    /// background timer records the last durable index in <c>wal.manifest</c> at most this often, off the append
    /// path. 0 records it inside every <see cref="WriteAheadLog.Append"/> (a second fdatasync per append, no window).
    /// Recovery refuses a log that ends below the recorded index; see docs/internals/storage.md.
    /// </summary>
    public int HighWaterCheckpointIntervalMs { get; init; } = 20;

    /// <summary>
    /// Operator override: open even when the log holds less than the manifest says it must (lost or truncated
    /// segments) or is corrupt before its tail, keeping only the valid prefix (later segments are renamed to
    /// <c>*.lost</c>). Logged as critical. Off by default: such a log throws <see cref="WalDataLossException"/> or
    /// <see cref="WalCorruptedException"/>.
    /// </summary>
    public bool AcceptDataLoss { get; init; }

    /// <summary>
    /// Records up to this index are held elsewhere — in a snapshot the caller has verified — so segments the manifest
    /// requires below <c>CoveredThroughIndex + 1</c> may be missing without loss (logged as a warning). 0 by default:
    /// every recorded segment is required.
    /// </summary>
    public long CoveredThroughIndex { get; init; }

    /// <summary>The file system seam; the real one unless a test injects faults.</summary>
    public IStorageFileSystem FileSystem { get; init; } = PhysicalFileSystem.Instance;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Directory, nameof(Directory));
        ArgumentNullException.ThrowIfNull(FileSystem, nameof(FileSystem));
        ArgumentOutOfRangeException.ThrowIfLessThan(SegmentSizeBytes, 64L, nameof(SegmentSizeBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SegmentSizeBytes, MaxSegmentSizeBytes, nameof(SegmentSizeBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRecordBytes, nameof(MaxRecordBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxRecordBytes, MaxRecordBytesLimit, nameof(MaxRecordBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(WriteBufferBytes, 4096, nameof(WriteBufferBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WriteBufferBytes, 64 << 20, nameof(WriteBufferBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(CoveredThroughIndex, nameof(CoveredThroughIndex));
        ArgumentOutOfRangeException.ThrowIfNegative(HighWaterCheckpointIntervalMs, nameof(HighWaterCheckpointIntervalMs));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(HighWaterCheckpointIntervalMs, 60_000, nameof(HighWaterCheckpointIntervalMs));
        if (!Enum.IsDefined(SyncMode))
        {
            throw new ArgumentOutOfRangeException(nameof(SyncMode), SyncMode, "Unknown sync mode.");
        }
    }
}
