namespace Statehouse.Storage.Groups;

/// <summary>
/// One group's snapshot files (docs/internals/host.md §1): today's snapshot file format (header, body, trailer with
/// the CRC-32C of header and body), named by index and term, written to a temporary file and renamed once synced.
/// Unlike <see cref="SnapshotStore"/>, several may be written at once (the host's own and one received from a
/// leader), any of them can be read at an offset (to send it in chunks), and which ones to keep is the caller's
/// decision (the one at the group's compaction point is in force; the store deletes the rest).
/// </summary>
/// <remarks>Thread-safe: writers, readers and deletions may run on different threads.</remarks>
public sealed class GroupSnapshotDirectory : IDisposable
{
    private readonly Lock _gate = new();
    private readonly IStorageFileSystem _fileSystem;
    private readonly string _directory;
    private readonly long _maxBodyBytes;
    private readonly int _bufferBytes;
    private readonly SortedDictionary<(long Index, long Term), SnapshotFileInfo> _files = [];
    private readonly Dictionary<(long Index, long Term), IStorageFile> _readers = [];
    private readonly HashSet<(long Index, long Term)> _writing = [];

    private GroupSnapshotDirectory(IStorageFileSystem fileSystem, string directory, long maxBodyBytes, int bufferBytes)
    {
        _fileSystem = fileSystem;
        _directory = directory;
        _maxBodyBytes = maxBodyBytes;
        _bufferBytes = bufferBytes;
    }

    /// <summary>The directory.</summary>
    public string DirectoryPath => _directory;

    internal IStorageFileSystem FileSystem => _fileSystem;

    /// <summary>The committed snapshot files, by (index, term); not verified until <see cref="Verify"/>.</summary>
    public IReadOnlyList<(long Index, long Term)> Snapshots
    {
        get
        {
            lock (_gate)
            {
                return [.. _files.Keys];
            }
        }
    }

    /// <summary>Opens (creating) the directory: lists committed files and deletes unfinished ones.</summary>
    public static GroupSnapshotDirectory Open(IStorageFileSystem fileSystem, string directory, long maxBodyBytes = 64L << 30, int bufferBytes = 256 << 10)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBodyBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, 4096);
        var opened = new GroupSnapshotDirectory(fileSystem, directory, maxBodyBytes, bufferBytes);
        fileSystem.CreateDirectory(directory);
        foreach (var name in fileSystem.ListFiles(directory))
        {
            var fileName = Path.GetFileName(name);
            if (fileName.EndsWith(SnapshotFormat.TempSuffix, StringComparison.Ordinal))
            {
                // A write that never finished: never acknowledged, never in force.
                fileSystem.DeleteFile(Path.Combine(directory, fileName));
            }
            else if (fileName.EndsWith(SnapshotFormat.FinalSuffix, StringComparison.Ordinal) && SnapshotFormat.TryParseFileName(fileName, out var index, out var term))
            {
                opened._files[(index, term)] = new SnapshotFileInfo(index, term, Path.Combine(directory, fileName), -1, 0);
            }
        }

        return opened;
    }

    /// <summary>Whether a committed file of (index, term) exists.</summary>
    public bool Contains(long index, long term)
    {
        lock (_gate)
        {
            return _files.ContainsKey((index, term));
        }
    }

    /// <summary>Reads the whole file of (index, term) and checks it; the result is remembered.</summary>
    /// <returns>The file's body length and checksum, or null with <paramref name="problem"/> saying why it is not valid.</returns>
    public SnapshotFileInfo? Verify(long index, long term, out string? problem)
    {
        SnapshotFileInfo info;
        lock (_gate)
        {
            if (!_files.TryGetValue((index, term), out info!))
            {
                problem = "no such snapshot file";
                return null;
            }

            if (info.BodyBytes >= 0)
            {
                problem = null;
                return info;
            }
        }

        using var file = _fileSystem.OpenFile(info.Path, StorageOpenMode.ReadExisting);
        problem = SnapshotFormat.Verify(file, index, term, out var bodyBytes, out var checksum, out _);
        if (problem is not null)
        {
            return null;
        }

        info = info with { BodyBytes = bodyBytes, Checksum = checksum };
        lock (_gate)
        {
            _files[(index, term)] = info;
        }

        return info;
    }

    /// <summary>Starts writing the snapshot of (index, term); nothing of it is visible until <see cref="GroupSnapshotWriter.Commit"/>.</summary>
    public GroupSnapshotWriter BeginWrite(long index, long term)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(term, 1);
        lock (_gate)
        {
            if (_files.ContainsKey((index, term)) || !_writing.Add((index, term)))
            {
                throw new InvalidOperationException($"The snapshot {index}/{term} exists or is being written in {_directory}.");
            }
        }

        var tempPath = Path.Combine(_directory, SnapshotFormat.FileName(index, term, SnapshotFormat.TempSuffix));
        var finalPath = Path.Combine(_directory, SnapshotFormat.FileName(index, term, SnapshotFormat.FinalSuffix));
        _fileSystem.DeleteFile(tempPath);
        var file = _fileSystem.OpenFile(tempPath, StorageOpenMode.CreateNew);
        Span<byte> header = stackalloc byte[SnapshotFormat.HeaderBytes];
        SnapshotFormat.WriteHeader(header, index, term);
        return new GroupSnapshotWriter(this, file, new SnapshotBodyStream(file, header, _bufferBytes, _maxBodyBytes), index, term, tempPath, finalPath);
    }

    /// <summary>Reads up to <c>buffer.Length</c> bytes of the body of (index, term) from <paramref name="bodyOffset"/>.</summary>
    /// <returns>The bytes read, or −1 when the file is gone.</returns>
    public int ReadBody(long index, long term, long bodyOffset, Span<byte> buffer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bodyOffset);
        lock (_gate)
        {
            if (!_files.TryGetValue((index, term), out var info))
            {
                return -1;
            }

            if (!_readers.TryGetValue((index, term), out var file))
            {
                file = _fileSystem.OpenFile(info.Path, StorageOpenMode.ReadExisting);
                _readers[(index, term)] = file;
            }

            var bodyBytes = info.BodyBytes >= 0 ? info.BodyBytes : file.Length - SnapshotFormat.HeaderBytes - SnapshotFormat.TrailerBytes;
            var length = (int)Math.Min(buffer.Length, Math.Max(0, bodyBytes - bodyOffset));
            return file.ReadFully(SnapshotFormat.HeaderBytes + bodyOffset, buffer[..length]);
        }
    }

    /// <summary>Opens the body of a verified snapshot for reading (the caller disposes the stream).</summary>
    public Stream OpenBody(long index, long term)
    {
        var info = Verify(index, term, out var problem) ?? throw new StorageCorruptedException(Path.Combine(_directory, SnapshotFormat.FileName(index, term, SnapshotFormat.FinalSuffix)), 0, problem ?? "invalid");
        var file = _fileSystem.OpenFile(info.Path, StorageOpenMode.ReadExisting);
        return new SnapshotReadStream(file, SnapshotFormat.HeaderBytes, info.BodyBytes);
    }

    /// <summary>Deletes the file of (index, term), if any.</summary>
    public void Delete(long index, long term)
    {
        lock (_gate)
        {
            if (!_files.Remove((index, term), out var info))
            {
                return;
            }

            if (_readers.Remove((index, term), out var reader))
            {
                reader.Dispose();
            }

            _fileSystem.DeleteFile(info.Path);
        }
    }

    /// <summary>Deletes every file and the directory's contents (the group left the node).</summary>
    public void DeleteAll()
    {
        foreach (var (index, term) in Snapshots)
        {
            Delete(index, term);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var reader in _readers.Values)
            {
                reader.Dispose();
            }

            _readers.Clear();
        }
    }

    internal void OnCommitted(SnapshotFileInfo info)
    {
        lock (_gate)
        {
            _writing.Remove((info.Index, info.Term));
            _files[(info.Index, info.Term)] = info;
        }
    }

    internal void OnAbandoned(long index, long term)
    {
        lock (_gate)
        {
            _writing.Remove((index, term));
        }
    }
}

/// <summary>A committed snapshot file: <see cref="BodyBytes"/> is −1 until verified.</summary>
public sealed record SnapshotFileInfo(long Index, long Term, string Path, long BodyBytes, uint Checksum);

/// <summary>Writes one snapshot file of a <see cref="GroupSnapshotDirectory"/>: body bytes, then commit or dispose.</summary>
public sealed class GroupSnapshotWriter : IDisposable
{
    private readonly GroupSnapshotDirectory _directory;
    private readonly SnapshotBodyStream _body;
    private readonly string _tempPath;
    private readonly string _finalPath;
    private IStorageFile? _file;
    private bool _done;

    internal GroupSnapshotWriter(GroupSnapshotDirectory directory, IStorageFile file, SnapshotBodyStream body, long index, long term, string tempPath, string finalPath)
    {
        _directory = directory;
        _file = file;
        _body = body;
        Index = index;
        Term = term;
        _tempPath = tempPath;
        _finalPath = finalPath;
    }

    public long Index { get; }

    public long Term { get; }

    /// <summary>Body bytes written so far.</summary>
    public long BodyBytes { get; private set; }

    /// <summary>Appends body bytes.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        _body.Write(data);
        BodyBytes += data.Length;
    }

    /// <summary>The body as a stream (for a state machine's capture); writes count in <see cref="BodyBytes"/>.</summary>
    public Stream Body => new CountingStream(this);

    /// <summary>Writes the trailer, syncs the file, renames it into place and syncs the directory.</summary>
    public SnapshotFileInfo Commit()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        var file = _file!;
        var (bodyBytes, crc, end) = _body.Complete();
        Span<byte> trailer = stackalloc byte[SnapshotFormat.TrailerBytes];
        SnapshotFormat.WriteTrailer(trailer, bodyBytes, crc);
        file.Write(end, trailer);
        file.Flush();
        file.Dispose();
        _file = null;
        _body.Release();
        _done = true;
        var fileSystem = FileSystemOf();
        fileSystem.RenameFile(_tempPath, _finalPath);
        fileSystem.SyncDirectory(Path.GetDirectoryName(_finalPath)!);
        var info = new SnapshotFileInfo(Index, Term, _finalPath, bodyBytes, crc);
        _directory.OnCommitted(info);
        return info;
    }

    /// <summary>Abandons an uncommitted write (its temporary file is deleted).</summary>
    public void Dispose()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        _body.Release();
        _file?.Dispose();
        _file = null;
        FileSystemOf().DeleteFile(_tempPath);
        _directory.OnAbandoned(Index, Term);
    }

    private IStorageFileSystem FileSystemOf() => _directory.FileSystem;

    private sealed class CountingStream(GroupSnapshotWriter writer) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => writer.BodyBytes;

        public override long Position
        {
            get => writer.BodyBytes;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => writer.Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer) => writer.Write(buffer);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
