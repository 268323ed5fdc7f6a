namespace Statehouse.Storage.Tests;

/// <summary>
/// File contents in <see cref="FaultyFileSystem"/>: the durable bytes plus the unsynced operations since the last
/// flush. Current content = durable + pending, except after a failed flush dropped the pending ones.
/// </summary>
internal sealed class MemoryInode
{
    private readonly List<(long Offset, byte[]? Data, long Length)> _pending = [];
    private byte[] _durable = [];
    private byte[] _current = [];

    public long Length => _current.Length;

    public byte[] CurrentCopy() => (byte[])_current.Clone();

    public void Write(long offsetBytes, ReadOnlySpan<byte> data)
    {
        _pending.Add((offsetBytes, data.ToArray(), 0));
        _current = ApplyWrite(_current, offsetBytes, data);
    }

    public void Resize(long lengthBytes)
    {
        _pending.Add((0, null, lengthBytes));
        _current = ApplyResize(_current, lengthBytes);
    }

    public int Read(long offsetBytes, Span<byte> buffer)
    {
        if (offsetBytes >= _current.Length)
        {
            return 0;
        }

        int count = (int)Math.Min(buffer.Length, _current.Length - offsetBytes);
        _current.AsSpan((int)offsetBytes, count).CopyTo(buffer);
        return count;
    }

    public void Flush()
    {
        _durable = ApplyAll(_durable, _pending, random: null);
        _pending.Clear();
    }

    /// <summary>A failed fsync: the pages are dropped from the disk's point of view but stay in the cache.</summary>
    public void LosePending() => _pending.Clear();

    public void Replace(byte[] content)
    {
        _pending.Clear();
        _durable = (byte[])content.Clone();
        _current = (byte[])content.Clone();
    }

    public void Recover(CrashMode mode, Random random)
    {
        _durable = mode switch
        {
            CrashMode.KeepUnsynced => ApplyAll(_durable, _pending, random: null),
            CrashMode.LoseUnsynced => _durable,
            CrashMode.ReorderUnsynced => ApplyAll(_durable, _pending, random),
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
        _pending.Clear();
        _current = (byte[])_durable.Clone();
    }

    private static byte[] ApplyAll(byte[] durable, List<(long Offset, byte[]? Data, long Length)> operations, Random? random)
    {
        // Work on a copy: the durable array is never shared with the current one.
        byte[] content = (byte[])durable.Clone();
        foreach ((long offset, byte[]? data, long length) in operations)
        {
            if (data is null)
            {
                content = ApplyResize(content, length);
            }
            else if (random is null)
            {
                content = ApplyWrite(content, offset, data);
            }
            else
            {
                // Each sector of the write reaches the disk or not, independently.
                long sectorStart = offset - (offset % FaultyFileSystem.SectorBytes);
                for (long sector = sectorStart; sector < offset + data.Length; sector += FaultyFileSystem.SectorBytes)
                {
                    long from = Math.Max(sector, offset);
                    long to = Math.Min(sector + FaultyFileSystem.SectorBytes, offset + data.Length);
                    if (random.Next(2) == 0)
                    {
                        content = ApplyWrite(content, from, data.AsSpan((int)(from - offset), (int)(to - from)));
                    }
                }
            }
        }

        return content;
    }

    private static byte[] ApplyWrite(byte[] content, long offsetBytes, ReadOnlySpan<byte> data)
    {
        // In place when it fits: callers own the array they pass.
        long end = offsetBytes + data.Length;
        if (end > content.Length)
        {
            Array.Resize(ref content, (int)end);
        }

        data.CopyTo(content.AsSpan((int)offsetBytes));
        return content;
    }

    private static byte[] ApplyResize(byte[] content, long lengthBytes)
    {
        var resized = new byte[lengthBytes];
        content.AsSpan(0, (int)Math.Min(content.Length, lengthBytes)).CopyTo(resized);
        return resized;
    }
}
