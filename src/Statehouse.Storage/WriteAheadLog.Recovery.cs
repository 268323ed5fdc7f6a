using System.Buffers;
using System.Diagnostics;

namespace Statehouse.Storage;

public sealed partial class WriteAheadLog
{
    private void Recover()
    {
        long startTimestamp = Stopwatch.GetTimestamp();
        if (_options.SyncMode != WalSyncMode.FDataSync)
        {
            Log.WalUnsafeSyncMode(_logger, _options.SyncMode);
        }

        // 1. Own the directory, so no second process appends to the same files.
        _fileSystem.CreateDirectory(_directory);
        _directoryLock = _fileSystem.LockDirectory(_directory);

        // 2. Verify every segment in index order; only the last may end in a torn append.
        List<(long FirstIndex, string Path)> files = ListSegmentFiles();
        int discarded = 0;
        int superseded = 0;
        SegmentScan tail = default;
        byte[]? buffer = null;
        try
        {
            superseded = DeleteSegmentsSupersededByReset(files, ref buffer);
            for (int i = 0; i < files.Count; i++)
            {
                bool isLast = i == files.Count - 1;
                (long firstIndex, string path) = files[i];
                if (_segments.Count > 0 && firstIndex != _segments[^1].LastIndex + 1)
                {
                    throw new WalCorruptedException(path, 0,
                        $"index gap: segment starts at {firstIndex} but the previous one ends at {_segments[^1].LastIndex}");
                }

                var segment = new WalSegment(path, firstIndex);
                int length = ReadWholeFile(path, ref buffer);
                SegmentScan scan = SegmentScanner.Scan(buffer.AsSpan(0, length), segment, ComputeLastTerm(), isLast);
                if (scan.Outcome == ScanOutcome.TornHeader && isLast)
                {
                    // Crash while creating the segment: its first append never returned, so nothing in it was acknowledged.
                    _fileSystem.DeleteFile(path);
                    SyncDirectory();
                    Log.WalTornSegmentDiscarded(_logger, path);
                    discarded++;
                    continue;
                }

                if (scan.Outcome is ScanOutcome.TornHeader or ScanOutcome.CorruptHeader or ScanOutcome.Corrupt)
                {
                    throw new WalCorruptedException(path, scan.OffsetBytes, scan.Reason ?? "corrupt");
                }

                Invariant.Assert(scan.Outcome == ScanOutcome.Clean || isLast);
                tail = scan;
                _segments.Add(segment);
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        // 3. Make the last segment the active one, cutting its torn tail durably before anything is appended.
        if (_segments.Count == 0)
        {
            CreateFirstSegment(files.Count > 0 ? files[^1].FirstIndex : 1);
        }
        else
        {
            OpenActiveSegment(tail);
        }

        _lastTerm = ComputeLastTerm();
        long elapsedMs = (long)Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
        LastRecovery = new RecoveryReport
        {
            SegmentCount = _segments.Count,
            RecordCount = LastIndex - FirstIndex + 1,
            TailTruncated = tail.Outcome == ScanOutcome.TornTail,
            TailSegmentPath = tail.Outcome == ScanOutcome.TornTail ? _segments[^1].Path : null,
            TailOffsetBytes = tail.Outcome == ScanOutcome.TornTail ? tail.OffsetBytes : -1,
            TailTruncatedBytes = tail.Outcome == ScanOutcome.TornTail ? tail.GarbageBytes : 0,
            TailReason = tail.Outcome == ScanOutcome.TornTail ? tail.Reason : null,
            DiscardedSegmentCount = discarded,
            SupersededSegmentCount = superseded,
            ElapsedMs = elapsedMs,
        };
        Invariant.Assert(FirstIndex >= 1);
        Invariant.Assert(FirstIndex <= LastIndex + 1);
        Log.WalOpened(_logger, _directory, _segments.Count, FirstIndex, LastIndex, elapsedMs);
    }

    /// <summary>
    /// When the last segment is a base segment (version-2 header, written by <see cref="ResetAfterSnapshot"/>) that
    /// holds no record and other segments precede it, a reset finished its rename but not its deletions: every
    /// earlier segment is superseded. Deletes them (directory fsynced) and removes them from
    /// <paramref name="files"/>; returns how many. Any other gap is left for the scan to reject.
    /// </summary>
    private int DeleteSegmentsSupersededByReset(List<(long FirstIndex, string Path)> files, ref byte[]? buffer)
    {
        if (files.Count < 2)
        {
            return 0;
        }

        (long baseFirstIndex, string basePath) = files[^1];
        var probe = new WalSegment(basePath, baseFirstIndex);
        int length = ReadWholeFile(basePath, ref buffer);
        SegmentScan scan = SegmentScanner.Scan(buffer.AsSpan(0, length), probe, 0, isLast: true);
        bool isEmptyBase = scan.Outcome == ScanOutcome.Clean
            && probe.HeaderBytes == WalFormat.BaseSegmentHeaderBytes
            && probe.RecordCount == 0;
        if (!isEmptyBase)
        {
            return 0;
        }

        int count = files.Count - 1;
        for (int i = 0; i < count; i++)
        {
            _fileSystem.DeleteFile(files[i].Path);
        }

        SyncDirectory();
        files.RemoveRange(0, count);
        Invariant.Assert(files.Count == 1);
        Log.WalSupersededSegmentsDeleted(_logger, count, baseFirstIndex);
        return count;
    }

    private List<(long FirstIndex, string Path)> ListSegmentFiles()
    {
        var files = new List<(long FirstIndex, string Path)>();
        foreach (string name in _fileSystem.ListFiles(_directory))
        {
            if (WalFormat.TryParseSegmentFileName(name, out long firstIndex) && firstIndex >= 1)
            {
                files.Add((firstIndex, Path.Combine(_directory, name)));
            }
            else if (name == WalFormat.ResetTempFileName)
            {
                // A reset that crashed before renaming its base segment into place: the old log is still whole.
                _fileSystem.DeleteFile(Path.Combine(_directory, name));
                SyncDirectory();
                Log.WalResetLeftoverDeleted(_logger, name);
            }
            else if (!name.StartsWith('.'))
            {
                Log.WalUnknownFileIgnored(_logger, name);
            }
        }

        files.Sort((left, right) => left.FirstIndex.CompareTo(right.FirstIndex));
        return files;
    }

    /// <summary>Reads a segment file into a pooled buffer (grown as needed); returns its length.</summary>
    private int ReadWholeFile(string path, ref byte[]? buffer)
    {
        using IStorageFile file = _fileSystem.OpenFile(path, StorageOpenMode.ReadExisting);
        long length = file.Length;
        if (length > Array.MaxLength)
        {
            throw new WalCorruptedException(path, 0, $"segment of {length} bytes is too large to be one of ours");
        }

        if (buffer is null || buffer.Length < length)
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(length, ReadChunkBytes));
        }

        int read = file.ReadFully(0, buffer.AsSpan(0, (int)length));
        Invariant.Assert(read <= length);
        return read;
    }

    private void CreateFirstSegment(long firstIndex)
    {
        Invariant.Assert(_segments.Count == 0);
        Span<byte> header = stackalloc byte[WalFormat.SegmentHeaderBytes];
        WalFormat.WriteSegmentHeader(header);
        WalSegment segment = CreateSegment(firstIndex);
        segment.File!.Write(0, header);
        Sync(segment.File);
        SyncDirectory();
        Invariant.Assert(segment.DataEndBytes == WalFormat.SegmentHeaderBytes);
    }

    private void OpenActiveSegment(SegmentScan tail)
    {
        WalSegment active = _segments[^1];
        IStorageFile file = _fileSystem.OpenFile(active.Path, StorageOpenMode.WriteExisting);
        active.File = file;
        bool changed = false;
        if (tail.Outcome == ScanOutcome.TornTail)
        {
            Invariant.Assert(tail.OffsetBytes == active.DataEndBytes);
            Log.WalTailTruncated(_logger, active.Path, tail.OffsetBytes, tail.GarbageBytes, tail.Reason ?? "torn");

            // Cut, then re-extend: the re-extended space reads as zeros, so no stale frame survives past the new end.
            file.SetLength(tail.OffsetBytes);
            changed = true;
        }

        if (_options.PreallocateSegments && file.Length < _options.SegmentSizeBytes)
        {
            file.Preallocate(_options.SegmentSizeBytes);
            changed = true;
        }

        if (changed)
        {
            Sync(file);
        }

        Invariant.Assert(file.Length >= active.DataEndBytes);
    }
}
