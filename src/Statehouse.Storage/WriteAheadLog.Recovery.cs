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

        // 2. Read what the log must hold (wal.manifest); nothing is repaired before the files are checked against it.
        string manifestPath = Path.Combine(_directory, WalManifest.FileName);
        WalManifestReadOutcome manifestOutcome = WalManifest.TryRead(_fileSystem, manifestPath, out WalManifestState recorded, out string? manifestProblem);
        if (manifestOutcome == WalManifestReadOutcome.Corrupt)
        {
            string problem = $"the manifest {manifestPath} is damaged ({manifestProblem}), so how far the log reached is unknown.";
            RefuseOrAccept(new WalDataLossException(_directory, problem, 0, 0, 0, 0, [manifestPath]));
        }
        else if (manifestOutcome == WalManifestReadOutcome.Valid && manifestProblem is not null)
        {
            // The slot being written when the process stopped is torn; the other one is the state before that write.
            Log.WalManifestSlotIgnored(_logger, manifestPath, manifestProblem);
        }

        // 3. Verify every segment in index order; only the last may end in a torn append.
        List<(long FirstIndex, string Path)> files = ListSegmentFiles();
        string? discardPath = null;
        var setAside = new List<string>();
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
                    var gap = new WalCorruptedException(path, 0,
                        $"index gap: segment starts at {firstIndex} but the previous one ends at {_segments[^1].LastIndex}, so a segment {WalFormat.SegmentFileName(_segments[^1].LastIndex + 1)} is missing or the previous one was cut short");
                    RefuseOrAccept(gap);
                    setAside.AddRange(files.Skip(i).Select(f => f.Path));
                    tail = default;
                    break;
                }

                var segment = new WalSegment(path, firstIndex);
                int length = ReadWholeFile(path, ref buffer);
                SegmentScan scan = SegmentScanner.Scan(buffer.AsSpan(0, length), segment, ComputeLastTerm(), isLast);
                if (scan.Outcome == ScanOutcome.TornHeader && isLast)
                {
                    // Crash while creating the segment: its first append never returned, so nothing in it was
                    // acknowledged. Deleted below, once the manifest check has passed.
                    discardPath = path;
                    continue;
                }

                if (scan.Outcome is ScanOutcome.TornHeader or ScanOutcome.CorruptHeader)
                {
                    RefuseOrAccept(new WalCorruptedException(path, scan.OffsetBytes, scan.Reason ?? "corrupt"));
                    setAside.AddRange(files.Skip(i).Select(f => f.Path));
                    tail = default;
                    break;
                }

                if (scan.Outcome == ScanOutcome.Corrupt)
                {
                    // Accepted: keep the records before the damage, cut the segment there, set the later ones aside.
                    RefuseOrAccept(new WalCorruptedException(path, scan.OffsetBytes, scan.Reason ?? "corrupt"));
                    setAside.AddRange(files.Skip(i + 1).Select(f => f.Path));
                    tail = new SegmentScan(ScanOutcome.TornTail, scan.OffsetBytes, length - scan.OffsetBytes, "accepted data loss: " + scan.Reason);
                    _segments.Add(segment);
                    break;
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

        // 4. Compare what was found with what the manifest says the log must hold: a shorter log is data loss.
        long emptyLogFirstIndex = setAside.Count > 0 && _segments.Count == 0 ? files[0].FirstIndex : (files.Count > 0 ? files[^1].FirstIndex : 1);
        long foundFirstIndex = _segments.Count > 0 ? _segments[0].FirstIndex : emptyLogFirstIndex;
        long foundLastIndex = _segments.Count > 0 ? _segments[^1].LastIndex : emptyLogFirstIndex - 1;
        if (manifestOutcome == WalManifestReadOutcome.Valid)
        {
            CheckAgainstManifest(recorded, manifestPath, foundFirstIndex, foundLastIndex, discardPath);
        }
        else if (files.Count > 0)
        {
            Log.WalManifestCreated(_logger, manifestPath, manifestOutcome.ToString());
        }

        // 5. Repair: delete an unfinished last segment, set aside what an accepted loss left unreadable.
        int discarded = 0;
        if (discardPath is not null)
        {
            _fileSystem.DeleteFile(discardPath);
            SyncDirectory();
            Log.WalTornSegmentDiscarded(_logger, discardPath);
            discarded = 1;
        }

        foreach (string path in setAside)
        {
            _fileSystem.RenameFile(path, path + LostSuffix);
            Log.WalSegmentSetAside(_logger, path, path + LostSuffix);
        }

        if (setAside.Count > 0)
        {
            SyncDirectory();
        }

        // 6. Make the last segment the active one, cutting its torn tail durably before anything is appended.
        if (_segments.Count == 0)
        {
            CreateFirstSegment(emptyLogFirstIndex);
        }
        else
        {
            OpenActiveSegment(tail);
        }

        _lastTerm = ComputeLastTerm();

        // 7. Record what the log now holds: everything in it is durable (the active segment was just synced).
        OpenManifest(manifestPath, manifestOutcome == WalManifestReadOutcome.Valid ? recorded : null);
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
            SetAsideSegmentCount = setAside.Count,
            ManifestFound = manifestOutcome == WalManifestReadOutcome.Valid,
            DataLossAccepted = _acceptedLoss,
            ElapsedMs = elapsedMs,
        };
        Invariant.Assert(FirstIndex >= 1);
        Invariant.Assert(FirstIndex <= LastIndex + 1);
        Log.WalOpened(_logger, _directory, _segments.Count, FirstIndex, LastIndex, elapsedMs);
    }

    /// <summary>Throws <paramref name="loss"/>, unless the operator accepted data loss: then logs it loudly and returns.</summary>
    private void RefuseOrAccept(IOException loss)
    {
        if (!_options.AcceptDataLoss)
        {
            throw loss;
        }

        _acceptedLoss = true;
        Log.WalDataLossAccepted(_logger, loss.Message);
    }

    /// <summary>
    /// The rules of the manifest: the log must start at or before its first index, reach its high-water index and
    /// still have its newest segment. Each value was written only once true on disk, so no crash breaks them.
    /// </summary>
    private void CheckAgainstManifest(WalManifestState recorded, string manifestPath, long foundFirstIndex, long foundLastIndex, string? discardPath)
    {
        var problems = new List<string>();
        var files = new List<string> { manifestPath };
        string recordedAs = recorded.CleanShutdown ? "the exact end at the last clean shutdown" : "a high-water mark checkpointed after an fsync";
        if (foundLastIndex < recorded.HighWaterIndex)
        {
            string where = _segments.Count > 0 ? $" ({Path.GetFileName(_segments[^1].Path)} ends there)" : " (no segment with records is left)";
            problems.Add($"the log must reach index {recorded.HighWaterIndex} ({recordedAs}, recorded in {WalManifest.FileName}) but the segments found end at index {foundLastIndex}{where}, so records {foundLastIndex + 1}..{recorded.HighWaterIndex} are missing.");
            if (_segments.Count > 0)
            {
                files.Add(_segments[^1].Path);
            }
        }

        if (recorded.NewestSegmentFirstIndex > 0 && (_segments.Count == 0 || _segments[^1].FirstIndex < recorded.NewestSegmentFirstIndex))
        {
            string newest = Path.Combine(_directory, WalFormat.SegmentFileName(recorded.NewestSegmentFirstIndex));
            problems.Add(discardPath == newest
                ? $"the newest segment {Path.GetFileName(newest)} is empty or has no complete header although it was durably created."
                : $"the newest segment {Path.GetFileName(newest)} (recorded in {WalManifest.FileName}) is missing.");
            files.Add(newest);
        }

        if (foundFirstIndex > recorded.FirstIndex && foundFirstIndex <= _options.CoveredThroughIndex + 1)
        {
            // Missing, but a verified snapshot holds those records: nothing acknowledged is gone.
            Log.WalCoveredPrefixMissing(_logger, WalFormat.SegmentFileName(recorded.FirstIndex), foundFirstIndex, _options.CoveredThroughIndex);
        }
        else if (foundFirstIndex > recorded.FirstIndex)
        {
            string first = Path.Combine(_directory, WalFormat.SegmentFileName(recorded.FirstIndex));
            problems.Add($"the log must start at index {recorded.FirstIndex} but the first segment found starts at {foundFirstIndex}: {Path.GetFileName(first)} (and any segment up to index {foundFirstIndex - 1}) is missing.");
            files.Add(first);
        }

        if (problems.Count > 0)
        {
            RefuseOrAccept(new WalDataLossException(_directory, string.Join(" ", problems.Select((p, i) => i == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..])), recorded.FirstIndex, recorded.HighWaterIndex,
                foundFirstIndex, foundLastIndex, files));
        }
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
            else if (name == WalManifest.FileName)
            {
                continue;
            }
            else if (name == WalManifest.TempFileName)
            {
                // A manifest creation that crashed before its rename: the previous file (or none) still stands.
                _fileSystem.DeleteFile(Path.Combine(_directory, name));
                SyncDirectory();
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
        if (tail.Outcome == ScanOutcome.TornTail)
        {
            Invariant.Assert(tail.OffsetBytes == active.DataEndBytes);
            Log.WalTailTruncated(_logger, active.Path, tail.OffsetBytes, tail.GarbageBytes, tail.Reason ?? "torn");

            // Cut, then re-extend: the re-extended space reads as zeros, so no stale frame survives past the new end.
            file.SetLength(tail.OffsetBytes);
        }

        if (_options.PreallocateSegments && file.Length < _options.SegmentSizeBytes)
        {
            file.Preallocate(_options.SegmentSizeBytes);
        }

        // Always: records a killed process wrote but did not sync are valid in the page cache, and the manifest is
        // about to count them as durable.
        Sync(file);

        Invariant.Assert(file.Length >= active.DataEndBytes);
    }
}
