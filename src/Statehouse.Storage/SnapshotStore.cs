using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Statehouse.Storage;

/// <summary>
/// Snapshot files of one node in <c>{DataDirectory}/snapshots/</c>: each is written to a temp file, checksummed,
/// fsynced and renamed into place, so a snapshot is either complete or absent. Format: docs/internals/storage.md.
/// </summary>
/// <remarks>
/// Threading: all members are safe to call from several threads; at most one <see cref="SnapshotWriter"/> is open
/// at a time. A stream from <see cref="OpenRead"/> stays readable even if retention deletes its file meanwhile
/// (on Linux an open file outlives its name).
/// </remarks>
public sealed class SnapshotStore
{
    /// <summary>Name of the subdirectory of the data directory that holds the snapshots.</summary>
    public const string DirectoryName = "snapshots";

    private readonly Lock _gate = new();
    private readonly SnapshotStoreOptions _options;
    private readonly IStorageFileSystem _fileSystem;
    private readonly ILogger _logger;
    private readonly List<SnapshotRejection> _rejected = [];
    private SnapshotInfo? _latest;
    private SnapshotWriter? _activeWriter;

    private SnapshotStore(SnapshotStoreOptions options, ILogger logger)
    {
        _options = options;
        _fileSystem = options.FileSystem;
        _logger = logger;
        DirectoryPath = Path.Combine(Path.GetFullPath(options.DataDirectory), DirectoryName);
    }

    /// <summary>Full path of the snapshot directory.</summary>
    public string DirectoryPath { get; }

    /// <summary>The newest snapshot that passed verification; null when there is none.</summary>
    public SnapshotInfo? Latest
    {
        get
        {
            lock (_gate)
            {
                return _latest;
            }
        }
    }

    /// <summary>Snapshots set aside because they failed verification (at open or in <see cref="OpenRead"/>).</summary>
    public IReadOnlyList<SnapshotRejection> Rejected
    {
        get
        {
            lock (_gate)
            {
                return [.. _rejected];
            }
        }
    }

    /// <summary>
    /// Opens the store: deletes leftover temp files, then verifies snapshots newest first until one passes; each
    /// newer one that fails is renamed to <c>*.corrupt</c>, logged and listed in <see cref="Rejected"/>.
    /// </summary>
    public static SnapshotStore Open(SnapshotStoreOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var store = new SnapshotStore(options, logger ?? NullLogger.Instance);
        store.Recover();
        return store;
    }

    /// <summary>
    /// Starts writing the snapshot through <paramref name="index"/> (of <paramref name="term"/>); nothing is
    /// visible until <see cref="SnapshotWriter.Commit"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is below 1 or below <see cref="Latest"/>'s.</exception>
    /// <exception cref="InvalidOperationException">Another writer is open.</exception>
    public SnapshotWriter BeginWrite(long index, long term)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(term);
        lock (_gate)
        {
            if (_latest is not null && index < _latest.Index)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"A newer snapshot (index {_latest.Index}) exists.");
            }

            if (_activeWriter is not null)
            {
                throw new InvalidOperationException("A snapshot is already being written.");
            }

            string tempPath = Path.Combine(DirectoryPath, SnapshotFormat.FileName(index, term, SnapshotFormat.TempSuffix));
            string finalPath = Path.Combine(DirectoryPath, SnapshotFormat.FileName(index, term, SnapshotFormat.FinalSuffix));
            _fileSystem.DeleteFile(tempPath);
            IStorageFile file = _fileSystem.OpenFile(tempPath, StorageOpenMode.CreateNew);
            try
            {
                _activeWriter = new SnapshotWriter(this, _fileSystem, _logger, file, index, term, tempPath, finalPath,
                    _options.WriteBufferBytes, _options.MaxSnapshotBytes);
            }
            catch
            {
                file.Dispose();
                _fileSystem.DeleteFile(tempPath);
                throw;
            }

            Invariant.Assert(_activeWriter.Index == index);
            return _activeWriter;
        }
    }

    /// <summary>
    /// Verifies the whole snapshot (header, trailer, checksum) and returns a read-only, seekable stream over its
    /// body. If verification fails, the snapshot is set aside, <see cref="Latest"/> falls back to the newest valid
    /// one, and this throws.
    /// </summary>
    /// <exception cref="StorageCorruptedException">The snapshot failed verification.</exception>
    public Stream OpenRead(SnapshotInfo snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        IStorageFile file = _fileSystem.OpenFile(snapshot.Path, StorageOpenMode.ReadExisting);
        try
        {
            string? problem = SnapshotFormat.Verify(file, snapshot.Index, snapshot.Term, out long bodyBytes, out long problemOffset);
            if (problem is not null)
            {
                file.Dispose();
                lock (_gate)
                {
                    Reject(snapshot.Path, problem);
                    if (_latest is not null && _latest.Path == snapshot.Path)
                    {
                        _latest = FindLatestValid();
                    }
                }

                throw new StorageCorruptedException(snapshot.Path, problemOffset, problem);
            }

            Invariant.Assert(bodyBytes == snapshot.BodyLengthBytes);
            return new SnapshotReadStream(file, SnapshotFormat.HeaderBytes, bodyBytes);
        }
        catch (Exception exception) when (exception is not StorageCorruptedException)
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Called by a writer after its file is durably renamed into place: publish it and apply retention.</summary>
    internal SnapshotInfo OnCommitted(SnapshotWriter writer, SnapshotInfo committed)
    {
        lock (_gate)
        {
            Invariant.Assert(ReferenceEquals(writer, _activeWriter));
            _activeWriter = null;
            if (_latest is null || committed.Index >= _latest.Index)
            {
                _latest = committed;
            }

            DeleteBeyondKeepCount(committed.Path);
            Invariant.Assert(_latest is not null);
            return committed;
        }
    }

    /// <summary>Called when a writer is disposed (committed or not).</summary>
    internal void OnWriterClosed(SnapshotWriter writer)
    {
        lock (_gate)
        {
            if (ReferenceEquals(writer, _activeWriter))
            {
                _activeWriter = null;
            }
        }
    }

    private void Recover()
    {
        _fileSystem.CreateDirectory(DirectoryPath);
        bool deletedAny = false;
        foreach (string name in _fileSystem.ListFiles(DirectoryPath))
        {
            if (name.StartsWith(SnapshotFormat.Prefix, StringComparison.Ordinal)
                && name.EndsWith(SnapshotFormat.TempSuffix, StringComparison.Ordinal))
            {
                string path = Path.Combine(DirectoryPath, name);
                _fileSystem.DeleteFile(path);
                Log.SnapshotTempDeleted(_logger, path);
                deletedAny = true;
            }
        }

        if (deletedAny)
        {
            _fileSystem.SyncDirectory(DirectoryPath);
        }

        lock (_gate)
        {
            _latest = FindLatestValid();
            Log.SnapshotStoreOpened(_logger, DirectoryPath, _latest?.Index ?? 0, _rejected.Count);
        }
    }

    /// <summary>Newest committed snapshot that verifies; rejects the newer ones that do not.</summary>
    private SnapshotInfo? FindLatestValid()
    {
        List<(long Index, long Term, string Path)> snapshots = ListCommitted();
        for (int i = snapshots.Count - 1; i >= 0; i--)
        {
            (long index, long term, string path) = snapshots[i];
            string? problem;
            long bodyBytes;
            using (IStorageFile file = _fileSystem.OpenFile(path, StorageOpenMode.ReadExisting))
            {
                problem = SnapshotFormat.Verify(file, index, term, out bodyBytes, out _);
            }

            if (problem is null)
            {
                return new SnapshotInfo(index, term, path, bodyBytes);
            }

            Reject(path, problem);
        }

        return null;
    }

    /// <summary>Committed snapshot files, oldest first.</summary>
    private List<(long Index, long Term, string Path)> ListCommitted()
    {
        var snapshots = new List<(long Index, long Term, string Path)>();
        foreach (string name in _fileSystem.ListFiles(DirectoryPath))
        {
            if (SnapshotFormat.TryParseFileName(name, out long index, out long term))
            {
                snapshots.Add((index, term, Path.Combine(DirectoryPath, name)));
            }
        }

        snapshots.Sort((left, right) => left.Index != right.Index ? left.Index.CompareTo(right.Index) : left.Term.CompareTo(right.Term));
        return snapshots;
    }

    private void Reject(string path, string reason)
    {
        // Set the file aside rather than delete it: it is evidence, and it must not be picked again.
        string corruptPath = path + SnapshotFormat.CorruptSuffix;
        _fileSystem.RenameFile(path, corruptPath);
        _fileSystem.SyncDirectory(DirectoryPath);
        _rejected.Add(new SnapshotRejection(path, reason));
        Log.SnapshotRejected(_logger, path, corruptPath, reason);
    }

    private void DeleteBeyondKeepCount(string keepPath)
    {
        List<(long Index, long Term, string Path)> snapshots = ListCommitted();
        int excess = snapshots.Count - _options.KeepCount;
        bool deletedAny = false;
        for (int i = 0; i < snapshots.Count && excess > 0; i++)
        {
            if (snapshots[i].Path == keepPath)
            {
                continue;
            }

            _fileSystem.DeleteFile(snapshots[i].Path);
            Log.SnapshotDeleted(_logger, snapshots[i].Path, _options.KeepCount);
            deletedAny = true;
            excess--;
        }

        if (deletedAny)
        {
            _fileSystem.SyncDirectory(DirectoryPath);
        }
    }
}
