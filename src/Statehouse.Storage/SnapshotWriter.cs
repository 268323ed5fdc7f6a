using Microsoft.Extensions.Logging;

namespace Statehouse.Storage;

/// <summary>
/// One snapshot being written: write the opaque body to <see cref="Body"/>, then <see cref="Commit"/>. Disposing
/// without committing deletes the temp file, leaving nothing behind.
/// </summary>
/// <remarks>Used by one thread at a time.</remarks>
public sealed class SnapshotWriter : IDisposable
{
    private readonly SnapshotStore _store;
    private readonly IStorageFileSystem _fileSystem;
    private readonly ILogger _logger;
    private readonly SnapshotBodyStream _body;
    private readonly string _tempPath;
    private readonly string _finalPath;
    private IStorageFile? _file;
    private SnapshotInfo? _committed;
    private bool _disposed;

    internal SnapshotWriter(SnapshotStore store, IStorageFileSystem fileSystem, ILogger logger, IStorageFile file,
        long index, long term, string tempPath, string finalPath, int bufferBytes, long maxBodyBytes)
    {
        _store = store;
        _fileSystem = fileSystem;
        _logger = logger;
        _file = file;
        _tempPath = tempPath;
        _finalPath = finalPath;
        Index = index;
        Term = term;
        Span<byte> header = stackalloc byte[SnapshotFormat.HeaderBytes];
        SnapshotFormat.WriteHeader(header, index, term);
        _body = new SnapshotBodyStream(file, header, bufferBytes, maxBodyBytes);
    }

    /// <summary>Last log index the snapshot covers.</summary>
    public long Index { get; }

    /// <summary>Term of the record at <see cref="Index"/>.</summary>
    public long Term { get; }

    /// <summary>Write-only, buffered stream for the opaque body; the writer owns it (disposing it does nothing).</summary>
    public Stream Body => _body;

    /// <summary>
    /// Makes the snapshot durable and visible, in order: 1. write the trailer (body length and CRC-32C);
    /// 2. fdatasync the temp file; 3. rename it to <c>.snap</c>; 4. fsync the directory; 5. delete older snapshots
    /// beyond <see cref="SnapshotStoreOptions.KeepCount"/>.
    /// </summary>
    /// <returns>The committed snapshot, now <see cref="SnapshotStore.Latest"/> (unless a newer one exists).</returns>
    public SnapshotInfo Commit()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed is not null)
        {
            throw new InvalidOperationException("The snapshot is already committed.");
        }

        IStorageFile file = _file ?? throw new InvalidOperationException("The snapshot file is closed.");
        (long bodyBytes, uint crc, long endOffsetBytes) = _body.Complete();
        Span<byte> trailer = stackalloc byte[SnapshotFormat.TrailerBytes];
        SnapshotFormat.WriteTrailer(trailer, bodyBytes, crc);
        file.Write(endOffsetBytes, trailer);
        file.Flush();
        file.Dispose();
        _file = null;
        _fileSystem.RenameFile(_tempPath, _finalPath);
        _fileSystem.SyncDirectory(Path.GetDirectoryName(_finalPath)!);
        var info = new SnapshotInfo(Index, Term, _finalPath, bodyBytes);
        _committed = info;
        Log.SnapshotCommitted(_logger, _finalPath, Index, Term, bodyBytes);
        Invariant.Assert(endOffsetBytes == SnapshotFormat.HeaderBytes + bodyBytes);
        return _store.OnCommitted(this, info);
    }

    /// <summary>Closes the writer; without a successful <see cref="Commit"/>, deletes the temp file.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _body.Release();
        _file?.Dispose();
        _file = null;
        try
        {
            if (_committed is null)
            {
                _fileSystem.DeleteFile(_tempPath);
                Log.SnapshotAbandoned(_logger, _tempPath);
            }
        }
        finally
        {
            _store.OnWriterClosed(this);
        }
    }
}
