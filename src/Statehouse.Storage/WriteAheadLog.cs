using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Statehouse.Storage;

/// <summary>
/// The durable log of one node: records with Raft indexes and terms in segment files, checksummed, one fdatasync
/// per <see cref="Append"/>. Format, recovery rules and fsync discipline: docs/internals/storage.md.
/// </summary>
/// <remarks>
/// <para>
/// Threading: single owner. <see cref="Append"/>, <see cref="TruncateSuffix"/>, <see cref="TruncatePrefix"/>,
/// <see cref="ResetAfterSnapshot"/> and <see cref="Dispose"/> are called from one writer thread; overlapping mutations are detected and throw
/// <see cref="InvalidOperationException"/>. <see cref="Read"/> may run on another thread only while no mutation
/// runs; an enumeration that observes a mutation throws <see cref="InvalidOperationException"/>. The properties are
/// plain reads for the owner thread.
/// </para>
/// <para>
/// Empty log: <see cref="FirstIndex"/> is always <c>LastIndex + 1</c> minus the number of records held, so an
/// empty log has <c>FirstIndex == LastIndex + 1</c>; a new log has FirstIndex 1, LastIndex 0, LastTerm 0.
/// </para>
/// <para>
/// Failure: an I/O error during a mutation poisons the log (<see cref="IsFailed"/>); every later call throws
/// <see cref="WalFailedException"/>, and the properties describe an unknown state. Restart and recover.
/// </para>
/// </remarks>
public sealed partial class WriteAheadLog : IDisposable
{
    private const int ReadChunkBytes = 64 << 10;

    private readonly WalOptions _options;
    private readonly IStorageFileSystem _fileSystem;
    private readonly ILogger _logger;
    private readonly string _directory;
    private readonly List<WalSegment> _segments = [];
    private IDisposable? _directoryLock;
    private long _lastTerm;
    private long _version;
    private int _busy;
    private volatile Exception? _failure;
    private bool _disposed;

    private WriteAheadLog(WalOptions options, ILogger logger)
    {
        _options = options;
        _fileSystem = options.FileSystem;
        _logger = logger;
        _directory = Path.GetFullPath(options.Directory);
    }

    /// <summary>First index still held; <c>LastIndex + 1</c> when the log holds no record.</summary>
    public long FirstIndex => _segments[0].FirstIndex;

    /// <summary>Index of the last record; <c>FirstIndex - 1</c> when the log holds no record (0 for a new log).</summary>
    public long LastIndex => _segments[^1].LastIndex;

    /// <summary>
    /// Term of the last record. When the log holds no record: the snapshot term after
    /// <see cref="ResetAfterSnapshot"/> (kept across reopen), else 0.
    /// </summary>
    public long LastTerm => _lastTerm;

    /// <summary>Bytes of segment headers and frames held (preallocated space not counted).</summary>
    public long SizeBytes
    {
        get
        {
            long total = 0;
            foreach (WalSegment segment in _segments)
            {
                total += segment.DataEndBytes;
            }

            return total;
        }
    }

    /// <summary>Number of segment files.</summary>
    public int SegmentCount => _segments.Count;

    /// <summary>The index of the first record of the segment at <paramref name="position"/> (0: the oldest).</summary>
    public long FirstIndexOfSegment(int position) => _segments[position].FirstIndex;

    /// <summary>What the recovery in <see cref="Open"/> found and repaired.</summary>
    public RecoveryReport LastRecovery { get; private set; } = new();

    /// <summary>Whether an I/O failure poisoned the log; see <see cref="WalFailedException"/>.</summary>
    public bool IsFailed => _failure is not null;

    /// <summary>
    /// Opens the log in <see cref="WalOptions.Directory"/> (created if missing): verifies every record, cuts a torn
    /// tail of the last segment, deletes a last segment whose creation did not finish, and holds a directory lock
    /// until <see cref="Dispose"/>.
    /// </summary>
    /// <exception cref="WalCorruptedException">Damage that a torn append cannot explain.</exception>
    public static WriteAheadLog Open(WalOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var log = new WriteAheadLog(options, logger ?? NullLogger.Instance);
        try
        {
            log.Recover();
            return log;
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Records the exact last index in the manifest (one fdatasync), closes the files and releases the directory
    /// lock. Segments are not synced again: every mutation already did.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CloseManifest();
        foreach (WalSegment segment in _segments)
        {
            segment.File?.Dispose();
            segment.File = null;
        }

        _directoryLock?.Dispose();
        _directoryLock = null;
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failure is not null)
        {
            throw new WalFailedException("The WAL failed earlier and is poisoned; restart the process to recover from disk.", _failure);
        }
    }

    private void EnterMutation()
    {
        ThrowIfUnusable();
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("WriteAheadLog has a single writer: a mutation is already running.");
        }
    }

    private void ExitMutation()
    {
        _version++;
        Volatile.Write(ref _busy, 0);
    }

    private WalFailedException Poison(string operation, Exception exception)
    {
        Interlocked.CompareExchange(ref _failure, exception, null);
        Log.WalFailed(_logger, exception, operation);
        return new WalFailedException($"WAL {operation} failed; the log is poisoned and the process must restart.", exception);
    }

    private void Sync(IStorageFile file)
    {
        if (_options.SyncMode == WalSyncMode.FDataSync)
        {
            file.Flush();
        }
    }

    private void SyncDirectory()
    {
        if (_options.SyncMode == WalSyncMode.FDataSync)
        {
            _fileSystem.SyncDirectory(_directory);
        }
    }

    private long ComputeLastTerm()
    {
        for (int i = _segments.Count - 1; i >= 0; i--)
        {
            if (_segments[i].RecordCount > 0)
            {
                return _segments[i].LastTerm;
            }
        }

        // No record: a base segment still knows the term of the record before it (the snapshot's).
        return _segments.Count > 0 ? _segments[0].BaseTerm : 0;
    }

    /// <summary>Position in <see cref="_segments"/> of the segment that holds (or would hold) <paramref name="index"/>.</summary>
    private int FindSegmentPosition(long index)
    {
        Invariant.Assert(index >= FirstIndex);
        int low = 0;
        int high = _segments.Count - 1;
        while (low < high)
        {
            int middle = (low + high + 1) / 2;
            if (_segments[middle].FirstIndex <= index)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        Invariant.Assert(_segments[low].FirstIndex <= index);
        return low;
    }
}
