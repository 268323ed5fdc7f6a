using System.Diagnostics;

namespace Statehouse.Storage.Tests;

/// <summary>Decorator that records how long each file flush (fdatasync) takes; for measurements.</summary>
public sealed class TimingFileSystem(IStorageFileSystem inner) : IStorageFileSystem
{
    public List<double> FlushLatenciesUs { get; } = [];

    public void CreateDirectory(string directoryPath) => inner.CreateDirectory(directoryPath);

    public IReadOnlyList<string> ListFiles(string directoryPath) => inner.ListFiles(directoryPath);

    public bool FileExists(string path) => inner.FileExists(path);

    public IStorageFile OpenFile(string path, StorageOpenMode mode) => new TimingFile(inner.OpenFile(path, mode), FlushLatenciesUs);

    public void DeleteFile(string path) => inner.DeleteFile(path);

    public void RenameFile(string sourcePath, string destinationPath) => inner.RenameFile(sourcePath, destinationPath);

    public void SyncDirectory(string directoryPath) => inner.SyncDirectory(directoryPath);

    public IDisposable LockDirectory(string directoryPath) => inner.LockDirectory(directoryPath);

    private sealed class TimingFile(IStorageFile inner, List<double> flushLatenciesUs) : IStorageFile
    {
        public string Path => inner.Path;

        public long Length => inner.Length;

        public void Write(long offsetBytes, ReadOnlySpan<byte> data) => inner.Write(offsetBytes, data);

        public int Read(long offsetBytes, Span<byte> buffer) => inner.Read(offsetBytes, buffer);

        public void Flush()
        {
            long start = Stopwatch.GetTimestamp();
            inner.Flush();
            flushLatenciesUs.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        public void SetLength(long lengthBytes) => inner.SetLength(lengthBytes);

        public void Preallocate(long lengthBytes) => inner.Preallocate(lengthBytes);

        public void Dispose() => inner.Dispose();
    }
}
