namespace Statehouse.Storage;

/// <summary>Helpers over <see cref="IStorageFile"/>.</summary>
internal static class StorageFileExtensions
{
    /// <summary>Reads until <paramref name="buffer"/> is full or the file ends; returns the bytes read.</summary>
    public static int ReadFully(this IStorageFile file, long offsetBytes, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = file.Read(offsetBytes + total, buffer[total..]);
            if (read <= 0)
            {
                break;
            }

            total += read;
        }

        Invariant.Assert(total <= buffer.Length);
        return total;
    }
}
