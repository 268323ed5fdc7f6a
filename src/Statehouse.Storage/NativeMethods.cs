using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Statehouse.Storage;

/// <summary>The few libc calls .NET does not expose: fdatasync, posix_fallocate and fsync of a directory.</summary>
internal static partial class NativeMethods
{
    private const int Eintr = 4;
    private const int OpenReadOnly = 0;
    private const int OpenCloseOnExec = 0x80000; // O_CLOEXEC on Linux x64 and arm64
    private const int MaxInterruptedRetries = 16;

    /// <summary>fdatasync on Linux; a full flush to disk elsewhere. Throws <see cref="IOException"/> on failure.</summary>
    public static void FDataSync(SafeFileHandle handle, string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }

        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            int fd = (int)handle.DangerousGetHandle();
            Invariant.Assert(fd >= 0);
            for (int attempt = 0; ; attempt++)
            {
                if (fdatasync(fd) == 0)
                {
                    return;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno != Eintr || attempt >= MaxInterruptedRetries)
                {
                    throw new IOException($"fdatasync failed on '{path}' (errno {errno}).", errno);
                }
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>posix_fallocate on Linux; returns false where unsupported or failed so the caller can fall back.</summary>
    public static bool TryFallocate(SafeFileHandle handle, long lengthBytes)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            // posix_fallocate returns the error number instead of setting errno.
            return posix_fallocate((int)handle.DangerousGetHandle(), 0, lengthBytes) == 0;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>fsync of a directory on Linux (makes creations, deletions and renames durable); no-op elsewhere.</summary>
    public static void SyncDirectory(string directoryPath)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int fd = open(directoryPath, OpenReadOnly | OpenCloseOnExec);
        if (fd < 0)
        {
            int openErrno = Marshal.GetLastPInvokeError();
            throw new IOException($"open failed on directory '{directoryPath}' (errno {openErrno}).", openErrno);
        }

        try
        {
            for (int attempt = 0; ; attempt++)
            {
                if (fsync(fd) == 0)
                {
                    return;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno != Eintr || attempt >= MaxInterruptedRetries)
                {
                    throw new IOException($"fsync failed on directory '{directoryPath}' (errno {errno}).", errno);
                }
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc")]
    private static partial int posix_fallocate(int fd, long offset, long len);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
