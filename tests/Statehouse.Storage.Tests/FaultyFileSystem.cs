namespace Statehouse.Storage.Tests;

/// <summary>
/// An in-memory <see cref="IStorageFileSystem"/> that models what a disk keeps: file data is durable only after
/// <see cref="IStorageFile.Flush"/>, directory entries only after <see cref="SyncDirectory"/>. It can crash at a
/// chosen mutation (optionally tearing that write), fail an fsync the way Linux does (the unsynced pages are lost
/// yet a later fsync succeeds: "fsyncgate"), and restart under a <see cref="CrashMode"/>.
/// </summary>
public sealed class FaultyFileSystem : IStorageFileSystem
{
    public const int SectorBytes = 512;

    private readonly Lock _gate = new();
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
    private readonly HashSet<string> _locks = new(StringComparer.Ordinal);
    private Dictionary<string, MemoryInode> _names = new(StringComparer.Ordinal);
    private Dictionary<string, MemoryInode> _durableNames = new(StringComparer.Ordinal);
    private int _generation;
    private int _crashCountdown = -1;
    private int _tearKeepBytes = -1;
    private Func<string, bool>? _tearWriteMatch;
    private int _flushFailureCountdown = -1;
    private bool _crashed;

    /// <summary>Successful file flushes so far.</summary>
    public int FlushCount { get; private set; }

    /// <summary>Write calls so far.</summary>
    public int WriteCount { get; private set; }

    /// <summary>Directory syncs so far.</summary>
    public int DirectorySyncCount { get; private set; }

    /// <summary>Whether the armed crash happened (every call fails until <see cref="Restart"/>).</summary>
    public bool IsCrashed
    {
        get
        {
            lock (_gate)
            {
                return _crashed;
            }
        }
    }

    /// <summary>
    /// Lets <paramref name="mutations"/> more mutations (write, flush, set length, preallocate, create, delete,
    /// rename, directory sync) succeed, then crashes on the next; if that is a write and
    /// <paramref name="tearKeepBytes"/> ≥ 0, its first <paramref name="tearKeepBytes"/> bytes land first.
    /// </summary>
    public void CrashAfter(int mutations, int tearKeepBytes = -1)
    {
        lock (_gate)
        {
            _crashCountdown = mutations;
            _tearKeepBytes = tearKeepBytes;
        }
    }

    /// <summary>The next write to a path matching <paramref name="pathMatch"/> lands only its first bytes, then the process crashes.</summary>
    public void TearNextWrite(Func<string, bool> pathMatch, int keepBytes)
    {
        lock (_gate)
        {
            _tearWriteMatch = pathMatch;
            _tearKeepBytes = keepBytes;
        }
    }

    /// <summary>Lets <paramref name="flushes"/> more flushes succeed, then fails one with EIO (losing its pages).</summary>
    public void FailFlushAfter(int flushes)
    {
        lock (_gate)
        {
            _flushFailureCountdown = flushes;
        }
    }

    /// <summary>Simulates the reboot after a crash: keeps what <paramref name="mode"/> says survives, drops all handles and locks.</summary>
    public void Restart(CrashMode mode, int seed = 0)
    {
        lock (_gate)
        {
            var random = new Random(seed);
            var inodes = new HashSet<MemoryInode>(_names.Values);
            inodes.UnionWith(_durableNames.Values);
            foreach (MemoryInode inode in inodes)
            {
                inode.Recover(mode, random);
            }

            if (mode == CrashMode.KeepUnsynced)
            {
                _durableNames = new Dictionary<string, MemoryInode>(_names, StringComparer.Ordinal);
            }
            else
            {
                _names = new Dictionary<string, MemoryInode>(_durableNames, StringComparer.Ordinal);
            }

            _generation++;
            _locks.Clear();
            _crashed = false;
            _crashCountdown = -1;
            _tearKeepBytes = -1;
            _tearWriteMatch = null;
            _flushFailureCountdown = -1;
        }
    }

    /// <summary>Current bytes of a file (what a read sees).</summary>
    public byte[] GetFileBytes(string path)
    {
        lock (_gate)
        {
            return _names[path].CurrentCopy();
        }
    }

    /// <summary>Replaces a file's bytes, durably (to plant corruption).</summary>
    public void SetFileBytes(string path, byte[] content)
    {
        lock (_gate)
        {
            _names[path].Replace(content);
        }
    }

    /// <inheritdoc/>
    public void CreateDirectory(string directoryPath)
    {
        lock (_gate)
        {
            ThrowIfCrashed();
            for (string? path = Path.GetFullPath(directoryPath); !string.IsNullOrEmpty(path); path = Path.GetDirectoryName(path))
            {
                _directories.Add(path);
            }
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> ListFiles(string directoryPath)
    {
        lock (_gate)
        {
            ThrowIfCrashed();
            if (!_directories.Contains(directoryPath))
            {
                throw new DirectoryNotFoundException(directoryPath);
            }

            var names = _names.Keys.Where(path => Path.GetDirectoryName(path) == directoryPath).Select(Path.GetFileName).ToList();
            names.Sort(StringComparer.Ordinal);
            return names!;
        }
    }

    /// <inheritdoc/>
    public bool FileExists(string path)
    {
        lock (_gate)
        {
            ThrowIfCrashed();
            return _names.ContainsKey(path);
        }
    }

    /// <inheritdoc/>
    public IStorageFile OpenFile(string path, StorageOpenMode mode)
    {
        lock (_gate)
        {
            ThrowIfCrashed();
            if (mode == StorageOpenMode.CreateNew)
            {
                if (!_directories.Contains(Path.GetDirectoryName(path)!))
                {
                    throw new DirectoryNotFoundException(path);
                }

                if (_names.ContainsKey(path))
                {
                    throw new IOException($"File exists: {path}");
                }

                CountMutation();
                var inode = new MemoryInode();
                _names[path] = inode;
                return new FaultyFile(this, inode, path, _generation, writable: true);
            }

            if (!_names.TryGetValue(path, out MemoryInode? existing))
            {
                throw new FileNotFoundException(path);
            }

            return new FaultyFile(this, existing, path, _generation, writable: mode == StorageOpenMode.WriteExisting);
        }
    }

    /// <inheritdoc/>
    public void DeleteFile(string path)
    {
        lock (_gate)
        {
            ThrowIfCrashed();
            if (_names.ContainsKey(path))
            {
                CountMutation();
                _names.Remove(path);
            }
        }
    }

    /// <inheritdoc/>
    public void RenameFile(string sourcePath, string destinationPath)
    {
        lock (_gate)
        {
            ThrowIfCrashed();
            if (!_names.TryGetValue(sourcePath, out MemoryInode? inode))
            {
                throw new FileNotFoundException(sourcePath);
            }

            CountMutation();
            _names.Remove(sourcePath);
            _names[destinationPath] = inode;
        }
    }

    /// <inheritdoc/>
    public void SyncDirectory(string directoryPath)
    {
        lock (_gate)
        {
            ThrowIfCrashed();
            CountMutation();
            foreach (string path in _durableNames.Keys.Where(path => Path.GetDirectoryName(path) == directoryPath).ToList())
            {
                _durableNames.Remove(path);
            }

            foreach ((string path, MemoryInode inode) in _names.Where(entry => Path.GetDirectoryName(entry.Key) == directoryPath))
            {
                _durableNames[path] = inode;
            }

            DirectorySyncCount++;
        }
    }

    /// <inheritdoc/>
    public IDisposable LockDirectory(string directoryPath)
    {
        lock (_gate)
        {
            ThrowIfCrashed();
            if (!_locks.Add(directoryPath))
            {
                throw new IOException($"Directory is locked: {directoryPath}");
            }

            return new DirectoryLock(this, directoryPath, _generation);
        }
    }

    internal void Write(FaultyFile file, long offsetBytes, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            CheckHandle(file, mutating: true);
            WriteCount++;
            if (_tearWriteMatch is not null && _tearWriteMatch(file.Path))
            {
                CrashWithTornWrite(file, offsetBytes, data);
            }

            if (_crashCountdown == 0)
            {
                if (_tearKeepBytes >= 0)
                {
                    CrashWithTornWrite(file, offsetBytes, data);
                }

                Crash();
            }

            CountMutation();
            file.Inode.Write(offsetBytes, data);
        }
    }

    internal void Flush(FaultyFile file)
    {
        lock (_gate)
        {
            CheckHandle(file, mutating: true);
            CountMutation();
            if (_flushFailureCountdown == 0)
            {
                _flushFailureCountdown = -1;
                file.Inode.LosePending();
                throw new IOException($"Simulated EIO from fdatasync on {file.Path}");
            }

            if (_flushFailureCountdown > 0)
            {
                _flushFailureCountdown--;
            }

            file.Inode.Flush();
            FlushCount++;
        }
    }

    internal void SetLength(FaultyFile file, long lengthBytes, bool growOnly)
    {
        lock (_gate)
        {
            CheckHandle(file, mutating: true);
            CountMutation();
            if (!growOnly || lengthBytes > file.Inode.Length)
            {
                file.Inode.Resize(lengthBytes);
            }
        }
    }

    internal int Read(FaultyFile file, long offsetBytes, Span<byte> buffer)
    {
        lock (_gate)
        {
            CheckHandle(file, mutating: false);
            return file.Inode.Read(offsetBytes, buffer);
        }
    }

    internal long Length(FaultyFile file)
    {
        lock (_gate)
        {
            CheckHandle(file, mutating: false);
            return file.Inode.Length;
        }
    }

    internal void ReleaseLock(string directoryPath, int generation)
    {
        lock (_gate)
        {
            if (generation == _generation && !_crashed)
            {
                _locks.Remove(directoryPath);
            }
        }
    }

    private void CrashWithTornWrite(FaultyFile file, long offsetBytes, ReadOnlySpan<byte> data)
    {
        int keep = Math.Clamp(_tearKeepBytes, 0, data.Length);
        file.Inode.Write(offsetBytes, data[..keep]);
        Crash();
    }

    private void CheckHandle(FaultyFile file, bool mutating)
    {
        ThrowIfCrashed();
        if (file.Generation != _generation || file.IsDisposed)
        {
            throw new ObjectDisposedException(file.Path, "Handle from before a restart, or disposed.");
        }

        if (mutating && !file.Writable)
        {
            throw new UnauthorizedAccessException($"Read-only handle: {file.Path}");
        }
    }

    private void CountMutation()
    {
        if (_crashCountdown == 0)
        {
            Crash();
        }

        if (_crashCountdown > 0)
        {
            _crashCountdown--;
        }
    }

    private void Crash()
    {
        _crashed = true;
        _crashCountdown = -1;
        _tearWriteMatch = null;
        throw new SimulatedCrashException("Simulated crash");
    }

    private void ThrowIfCrashed()
    {
        if (_crashed)
        {
            throw new SimulatedCrashException("The process crashed (simulated); restart the file system.");
        }
    }

    private sealed class DirectoryLock(FaultyFileSystem fileSystem, string directoryPath, int generation) : IDisposable
    {
        public void Dispose() => fileSystem.ReleaseLock(directoryPath, generation);
    }
}
