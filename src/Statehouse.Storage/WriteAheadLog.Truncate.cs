namespace Statehouse.Storage;

public sealed partial class WriteAheadLog
{
    /// <summary>
    /// Removes records from <paramref name="fromIndex"/> on (Raft conflict resolution); durable on return. Does
    /// nothing when <paramref name="fromIndex"/> is past <see cref="LastIndex"/>. Afterwards
    /// <c>LastIndex == fromIndex - 1</c> and the next append starts at <paramref name="fromIndex"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fromIndex"/> is below <see cref="FirstIndex"/>.</exception>
    /// <exception cref="WalFailedException">An I/O failure, now or earlier; the log is poisoned.</exception>
    public void TruncateSuffix(long fromIndex)
    {
        EnterMutation();
        try
        {
            if (fromIndex < FirstIndex)
            {
                throw new ArgumentOutOfRangeException(nameof(fromIndex), fromIndex,
                    $"Records below the first index held ({FirstIndex}) are gone already.");
            }

            long previousLastIndex = LastIndex;
            if (fromIndex > previousLastIndex)
            {
                return;
            }

            try
            {
                TruncateSuffixCore(fromIndex);
            }
            catch (Exception exception)
            {
                throw Poison(nameof(TruncateSuffix), exception);
            }

            Invariant.Assert(LastIndex == fromIndex - 1);
            Invariant.Assert(FirstIndex <= fromIndex);
            Log.WalSuffixTruncated(_logger, fromIndex, previousLastIndex);
        }
        finally
        {
            ExitMutation();
        }
    }

    /// <summary>
    /// After a snapshot through <paramref name="throughIndex"/>, deletes the segments all of whose records are at
    /// or below it, oldest first. Only whole segments go, and never the active (last) segment, so afterwards
    /// <see cref="FirstIndex"/> may still be at or below <paramref name="throughIndex"/>; every record above it is kept.
    /// </summary>
    /// <exception cref="WalFailedException">An I/O failure, now or earlier; the log is poisoned.</exception>
    public void TruncatePrefix(long throughIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(throughIndex);
        EnterMutation();
        try
        {
            long previousFirstIndex = FirstIndex;
            long previousLastIndex = LastIndex;
            int deleted = 0;
            try
            {
                int doomedCount = 0;
                while (doomedCount < _segments.Count - 1 && _segments[doomedCount].LastIndex <= throughIndex)
                {
                    doomedCount++;
                }

                if (doomedCount > 0)
                {
                    // The manifest stops requiring the segments about to go, before they go.
                    RaiseFirstIndex(_segments[doomedCount].FirstIndex);
                }

                while (_segments.Count > 1 && _segments[0].LastIndex <= throughIndex)
                {
                    // Oldest first, each deletion durable before the next, so a crash never leaves a gap.
                    WalSegment doomed = _segments[0];
                    Invariant.Assert(doomed.File is null);
                    _fileSystem.DeleteFile(doomed.Path);
                    SyncDirectory();
                    _segments.RemoveAt(0);
                    deleted++;
                }
            }
            catch (Exception exception)
            {
                throw Poison(nameof(TruncatePrefix), exception);
            }

            // When the active segment is empty, deleting the segments before it leaves no record, hence no last term.
            _lastTerm = ComputeLastTerm();
            Invariant.Assert(LastIndex == previousLastIndex);
            Invariant.Assert(FirstIndex == previousFirstIndex || FirstIndex <= throughIndex + 1);
            if (deleted > 0)
            {
                Log.WalPrefixTruncated(_logger, throughIndex, deleted, FirstIndex);
            }
        }
        finally
        {
            ExitMutation();
        }
    }

    private void TruncateSuffixCore(long fromIndex)
    {
        // 0. The manifest stops claiming the records (and segments) about to go, before they go.
        int target = FindSegmentPosition(fromIndex);
        LowerHighWater(fromIndex, _segments[target].FirstIndex);

        // 1. Delete the later segments newest first, each deletion durable before the next: a crash leaves a prefix.
        while (_segments.Count - 1 > target)
        {
            WalSegment doomed = _segments[^1];
            doomed.File?.Dispose();
            doomed.File = null;
            _fileSystem.DeleteFile(doomed.Path);
            SyncDirectory();
            _segments.RemoveAt(_segments.Count - 1);
        }

        // 2. Cut the segment holding fromIndex at that frame and re-extend it with zeros, so no stale frame remains.
        WalSegment segment = _segments[target];
        (long offsetBytes, long termBefore) = LocateForTruncation(segment, fromIndex);
        segment.File ??= _fileSystem.OpenFile(segment.Path, StorageOpenMode.WriteExisting);
        segment.File.SetLength(offsetBytes);
        if (_options.PreallocateSegments)
        {
            segment.File.Preallocate(_options.SegmentSizeBytes);
        }

        Sync(segment.File);
        segment.TruncateTo(fromIndex - segment.FirstIndex, offsetBytes, termBefore);
        _lastTerm = ComputeLastTerm();
        Invariant.Assert(ReferenceEquals(segment, _segments[^1]));
    }

    /// <summary>Offset of the frame of <paramref name="index"/> and the term of the record before it in the segment.</summary>
    private (long OffsetBytes, long TermBefore) LocateForTruncation(WalSegment segment, long index)
    {
        Invariant.Assert(index >= segment.FirstIndex);
        Invariant.Assert(index <= segment.LastIndex);
        if (index == segment.FirstIndex)
        {
            return (segment.HeaderBytes, 0);
        }

        (long checkpointIndex, long checkpointOffset) = segment.NearestCheckpoint(index - 1);
        using IStorageFile file = _fileSystem.OpenFile(segment.Path, StorageOpenMode.ReadExisting);
        using var reader = new FrameReader(file, segment.DataEndBytes, ReadChunkBytes) { PositionBytes = checkpointOffset };
        long termBefore = 0;
        for (long current = checkpointIndex; current < index; current++)
        {
            termBefore = reader.SkipFrame(current).Term;
        }

        return (reader.PositionBytes, termBefore);
    }
}
