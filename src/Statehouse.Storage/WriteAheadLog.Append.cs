using System.Buffers;

namespace Statehouse.Storage;

public sealed partial class WriteAheadLog
{
    /// <summary>
    /// Appends a batch and makes it durable before returning: one write per segment touched (one in the common
    /// case) and one fdatasync. Records must continue the log: indexes <c>LastIndex + 1</c>, <c>+ 2</c>, … and
    /// terms that never decrease.
    /// </summary>
    /// <remarks>
    /// When a record would take the active segment past <see cref="WalOptions.SegmentSizeBytes"/>, the active
    /// segment is cut to its data and fdatasynced, a new one is created, and the directory is fsynced before
    /// returning. An empty batch does nothing.
    /// </remarks>
    /// <exception cref="ArgumentException">The batch does not continue the log or a payload is too large.</exception>
    /// <exception cref="WalFailedException">An I/O failure, now or earlier; the log is poisoned.</exception>
    public void Append(IReadOnlyList<LogRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        EnterMutation();
        try
        {
            if (records.Count == 0)
            {
                return;
            }

            (long totalFrameBytes, int largestFrameBytes) = ValidateBatch(records);
            long expectedLastIndex = LastIndex + records.Count;
            try
            {
                bool createdSegment = AppendCore(records, totalFrameBytes, largestFrameBytes);
                OnAppended(createdSegment);
            }
            catch (Exception exception)
            {
                throw Poison(nameof(Append), exception);
            }

            Invariant.Assert(LastIndex == expectedLastIndex);
            Invariant.Assert(_lastTerm == records[records.Count - 1].Term);
        }
        finally
        {
            ExitMutation();
        }
    }

    private (long TotalFrameBytes, int LargestFrameBytes) ValidateBatch(IReadOnlyList<LogRecord> records)
    {
        long nextIndex = LastIndex + 1;
        long previousTerm = _lastTerm;
        long totalFrameBytes = 0;
        int largestFrameBytes = 0;
        for (int i = 0; i < records.Count; i++)
        {
            LogRecord record = records[i];
            if (record.Index != nextIndex + i)
            {
                throw new ArgumentException(
                    $"records[{i}].Index is {record.Index} but {nextIndex + i} was expected: a batch continues the log from LastIndex + 1 without gaps.",
                    nameof(records));
            }

            if (record.Term < previousTerm)
            {
                throw new ArgumentException(
                    $"records[{i}].Term is {record.Term}, below the previous term {previousTerm}: terms never decrease along the log.",
                    nameof(records));
            }

            if (record.Payload.Length > _options.MaxRecordBytes)
            {
                throw new ArgumentException(
                    $"records[{i}] has {record.Payload.Length} payload bytes; MaxRecordBytes is {_options.MaxRecordBytes}.",
                    nameof(records));
            }

            int frameBytes = WalFormat.FrameHeaderBytes + record.Payload.Length;
            totalFrameBytes += frameBytes;
            largestFrameBytes = Math.Max(largestFrameBytes, frameBytes);
            previousTerm = record.Term;
        }

        Invariant.Assert(totalFrameBytes >= (long)records.Count * WalFormat.FrameHeaderBytes);
        return (totalFrameBytes, largestFrameBytes);
    }

    /// <summary>Writes and syncs the batch; returns whether a segment was created.</summary>
    private bool AppendCore(IReadOnlyList<LogRecord> records, long totalFrameBytes, int largestFrameBytes)
    {
        WalSegment active = _segments[^1];
        IStorageFile file = active.File ?? throw new InvalidOperationException("The active segment is not open.");
        long bufferBytes = Math.Max(
            Math.Min(totalFrameBytes + WalFormat.SegmentHeaderBytes, _options.WriteBufferBytes),
            largestFrameBytes + WalFormat.SegmentHeaderBytes);
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)bufferBytes);
        int used = 0;
        long bufferFileOffset = active.DataEndBytes;
        bool createdSegment = false;
        try
        {
            for (int i = 0; i < records.Count; i++)
            {
                LogRecord record = records[i];
                int frameBytes = WalFormat.FrameHeaderBytes + record.Payload.Length;
                if (active.RecordCount > 0 && active.DataEndBytes + frameBytes > _options.SegmentSizeBytes)
                {
                    // Roll: the old segment's frames are durable before the new file exists.
                    if (used > 0)
                    {
                        file.Write(bufferFileOffset, buffer.AsSpan(0, used));
                    }

                    SealSegment(active);
                    active = CreateSegment(record.Index);
                    file = active.File!;
                    WalFormat.WriteSegmentHeader(buffer);
                    used = WalFormat.SegmentHeaderBytes;
                    bufferFileOffset = 0;
                    createdSegment = true;
                }
                else if (used + frameBytes > buffer.Length)
                {
                    file.Write(bufferFileOffset, buffer.AsSpan(0, used));
                    bufferFileOffset = active.DataEndBytes;
                    used = 0;
                }

                Invariant.Assert(bufferFileOffset + used == active.DataEndBytes);
                used += WalFormat.WriteFrame(buffer.AsSpan(used), record.Index, record.Term, record.Payload.Span);
                active.AddRecord(bufferFileOffset + used - frameBytes, frameBytes, record.Term);
            }

            file.Write(bufferFileOffset, buffer.AsSpan(0, used));
            Sync(file);
            if (createdSegment)
            {
                // The new file's directory entry must be durable too, or a crash could drop the whole segment.
                SyncDirectory();
            }

            _lastTerm = records[records.Count - 1].Term;
            return createdSegment;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Cuts the preallocated space off a segment that stops being active, fdatasyncs it and closes it.</summary>
    private void SealSegment(WalSegment segment)
    {
        IStorageFile file = segment.File!;
        Invariant.Assert(ReferenceEquals(segment, _segments[^1]));
        Invariant.Assert(file.Length >= segment.DataEndBytes);
        if (file.Length != segment.DataEndBytes)
        {
            file.SetLength(segment.DataEndBytes);
        }

        Sync(file);
        file.Dispose();
        segment.File = null;
    }

    /// <summary>Creates (and preallocates) an empty segment file and makes it the active segment.</summary>
    private WalSegment CreateSegment(long firstIndex)
    {
        Invariant.Assert(_segments.Count == 0 || firstIndex == _segments[^1].LastIndex + 1);
        string path = Path.Combine(_directory, WalFormat.SegmentFileName(firstIndex));
        IStorageFile file = _fileSystem.OpenFile(path, StorageOpenMode.CreateNew);
        try
        {
            if (_options.PreallocateSegments)
            {
                file.Preallocate(_options.SegmentSizeBytes);
            }
        }
        catch
        {
            file.Dispose();
            throw;
        }

        var segment = new WalSegment(path, firstIndex) { File = file };
        _segments.Add(segment);
        Log.WalSegmentCreated(_logger, path, firstIndex);
        return segment;
    }
}
