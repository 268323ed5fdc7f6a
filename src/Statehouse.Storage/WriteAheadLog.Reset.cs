namespace Statehouse.Storage;

public sealed partial class WriteAheadLog
{
    /// <summary>
    /// After installing a snapshot through <paramref name="snapshotIndex"/> (Raft InstallSnapshot), discards every
    /// record and leaves an empty log that continues at <c>snapshotIndex + 1</c>: afterwards
    /// <c>FirstIndex == snapshotIndex + 1</c>, <c>LastIndex == snapshotIndex</c> and
    /// <c>LastTerm == snapshotTerm</c>, also after a reopen. Durable on return.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Use it when the log does not hold a record <paramref name="snapshotIndex"/> with term
    /// <paramref name="snapshotTerm"/>; when it does, Raft keeps the records after it and
    /// <see cref="TruncatePrefix"/> is the call. Records above <paramref name="snapshotIndex"/> are discarded too.
    /// </para>
    /// <para>
    /// Steps (docs/internals/storage.md): 1. delete the segments starting above <paramref name="snapshotIndex"/>
    /// except the first, newest first; 2. write a base segment with the snapshot term in its header to a temp file,
    /// fdatasync it, rename it to <c>wal-{snapshotIndex + 1}.seg</c> and fsync the directory; 3. delete every other
    /// segment and fsync the directory. A crash in step 1 leaves a prefix of the old log that still ends at or after
    /// <paramref name="snapshotIndex"/>; before the rename is durable, the old log (step 1 applied); after it, the
    /// reset log, because <see cref="Open"/> deletes the segments an empty base segment supersedes.
    /// </para>
    /// <para>Threading: a mutation, like <see cref="Append"/> (single writer).</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="snapshotIndex"/> is negative, or below <c>FirstIndex - 1</c> (the log already starts after
    /// it: a stale snapshot), or <paramref name="snapshotTerm"/> is negative.
    /// </exception>
    /// <exception cref="WalFailedException">An I/O failure, now or earlier; the log is poisoned.</exception>
    public void ResetAfterSnapshot(long snapshotIndex, long snapshotTerm)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(snapshotIndex);
        ArgumentOutOfRangeException.ThrowIfEqual(snapshotIndex, long.MaxValue);
        ArgumentOutOfRangeException.ThrowIfNegative(snapshotTerm);
        EnterMutation();
        try
        {
            if (snapshotIndex < FirstIndex - 1)
            {
                throw new ArgumentOutOfRangeException(nameof(snapshotIndex), snapshotIndex,
                    $"The log already starts at {FirstIndex}, after the snapshot; a reset may not move it back.");
            }

            long previousFirstIndex = FirstIndex;
            long previousLastIndex = LastIndex;
            int deleted;
            try
            {
                deleted = ResetCore(snapshotIndex, snapshotTerm);
            }
            catch (Exception exception)
            {
                throw Poison(nameof(ResetAfterSnapshot), exception);
            }

            Invariant.Assert(_segments.Count == 1);
            Invariant.Assert(FirstIndex == snapshotIndex + 1);
            Invariant.Assert(LastIndex == snapshotIndex);
            Invariant.Assert(LastTerm == snapshotTerm);
            Log.WalReset(_logger, snapshotIndex, snapshotTerm, deleted, previousFirstIndex, previousLastIndex);
        }
        finally
        {
            ExitMutation();
        }
    }

    private int ResetCore(long snapshotIndex, long snapshotTerm)
    {
        long baseFirstIndex = snapshotIndex + 1;
        string basePath = Path.Combine(_directory, WalFormat.SegmentFileName(baseFirstIndex));
        string tempPath = Path.Combine(_directory, WalFormat.ResetTempFileName);
        int deleted = 0;

        // 0. The manifest must hold for the old log, the reset one and every state between: it no longer requires
        //    records above the snapshot or any particular newest segment, and requires a start at or before the base.
        LowerHighWater(snapshotIndex + 1, 0);
        RaiseFirstIndex(baseFirstIndex);

        // 1. The base segment must be the last one by name: delete the segments starting after it (and one with its
        //    name, unless that is the first segment, which the rename replaces atomically), newest first, each
        //    deletion durable before the next. The segment holding snapshotIndex stays, so LastIndex ≥ snapshotIndex.
        while (_segments.Count > 1 && _segments[^1].FirstIndex >= baseFirstIndex)
        {
            WalSegment doomed = _segments[^1];
            doomed.File?.Dispose();
            doomed.File = null;
            _fileSystem.DeleteFile(doomed.Path);
            SyncDirectory();
            _segments.RemoveAt(_segments.Count - 1);
            deleted++;
        }

        Invariant.Assert(_segments[^1].FirstIndex <= baseFirstIndex);

        // 2. Write the base segment under a temp name, make it durable, then rename it into place: its name appears
        //    whole or not at all, and from then on it supersedes every other segment (see Recover).
        _fileSystem.DeleteFile(tempPath);
        Span<byte> header = stackalloc byte[WalFormat.BaseSegmentHeaderBytes];
        WalFormat.WriteBaseSegmentHeader(header, snapshotTerm);
        using (IStorageFile temp = _fileSystem.OpenFile(tempPath, StorageOpenMode.CreateNew))
        {
            if (_options.PreallocateSegments)
            {
                temp.Preallocate(_options.SegmentSizeBytes);
            }

            temp.Write(0, header);
            Sync(temp);
        }

        foreach (WalSegment segment in _segments)
        {
            segment.File?.Dispose();
            segment.File = null;
        }

        _fileSystem.RenameFile(tempPath, basePath);
        SyncDirectory();

        // 3. Delete what the base segment supersedes (not itself: a first segment of the same name was replaced).
        foreach (WalSegment segment in _segments)
        {
            if (segment.Path != basePath)
            {
                _fileSystem.DeleteFile(segment.Path);
            }

            deleted++;
        }

        SyncDirectory();
        _segments.Clear();
        var baseSegment = new WalSegment(basePath, baseFirstIndex);
        baseSegment.SetHeader(WalFormat.BaseSegmentHeaderBytes, snapshotTerm);
        baseSegment.File = _fileSystem.OpenFile(basePath, StorageOpenMode.WriteExisting);
        _segments.Add(baseSegment);
        _lastTerm = ComputeLastTerm();

        // 4. Now the reset log is durable: record exactly what it holds.
        RecordExactState();
        Invariant.Assert(baseSegment.File.Length >= baseSegment.DataEndBytes);
        return deleted;
    }
}
