namespace Statehouse.Storage;

public sealed partial class WriteAheadLog
{
    /// <summary>
    /// Reads records <paramref name="fromIndex"/> through <paramref name="toIndexInclusive"/> (clamped to
    /// <see cref="LastIndex"/>), verifying each checksum. Lazy: files are read as the sequence is enumerated, and
    /// each payload is a new array the caller may keep.
    /// </summary>
    /// <remarks>
    /// Must not overlap a mutation (see the class remarks); an enumeration that observes one throws
    /// <see cref="InvalidOperationException"/>. Used for replay at startup and, later, for replication.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fromIndex"/> is outside FirstIndex..LastIndex + 1.</exception>
    public IEnumerable<LogRecord> Read(long fromIndex, long toIndexInclusive = long.MaxValue)
    {
        ThrowIfUnusable();
        if (fromIndex < FirstIndex || fromIndex > LastIndex + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(fromIndex), fromIndex,
                $"The log holds indexes {FirstIndex}..{LastIndex}; reads start in {FirstIndex}..{LastIndex + 1}.");
        }

        if (toIndexInclusive < fromIndex - 1)
        {
            throw new ArgumentOutOfRangeException(nameof(toIndexInclusive), toIndexInclusive, "The range ends before it starts.");
        }

        return ReadIterator(fromIndex, Math.Min(toIndexInclusive, LastIndex), _version);
    }

    private IEnumerable<LogRecord> ReadIterator(long fromIndex, long lastIndex, long version)
    {
        long index = fromIndex;
        while (index <= lastIndex)
        {
            ThrowIfChanged(version);
            WalSegment segment = _segments[FindSegmentPosition(index)];
            long segmentLastIndex = Math.Min(lastIndex, segment.LastIndex);
            Invariant.Assert(segmentLastIndex >= index);
            using IStorageFile file = _fileSystem.OpenFile(segment.Path, StorageOpenMode.ReadExisting);
            using var reader = new FrameReader(file, segment.DataEndBytes, ReadChunkBytes);
            (long checkpointIndex, long checkpointOffset) = segment.NearestCheckpoint(index);
            reader.PositionBytes = checkpointOffset;
            for (long skipped = checkpointIndex; skipped < index; skipped++)
            {
                reader.SkipFrame(skipped);
            }

            while (index <= segmentLastIndex)
            {
                ThrowIfChanged(version);
                yield return reader.ReadRecord(index);
                index++;
            }
        }
    }

    private void ThrowIfChanged(long version)
    {
        ThrowIfUnusable();
        if (Volatile.Read(ref _busy) != 0 || _version != version)
        {
            throw new InvalidOperationException("The WAL changed during enumeration: Read must not overlap Append or a truncation.");
        }
    }
}
