namespace Statehouse.Storage;

/// <summary>In-memory state of one segment file: where its records are and how far its data reaches.</summary>
/// <remarks>
/// Keeps the offset of every <see cref="SparseStride"/>-th record, so finding a record reads at most
/// <see cref="SparseStride"/> - 1 frame headers while memory stays at 8 bytes per 64 records.
/// </remarks>
internal sealed class WalSegment(string path, long firstIndex)
{
    public const int SparseStride = 64;

    private readonly List<long> _sparseOffsets = [];

    /// <summary>Full path of the segment file.</summary>
    public string Path { get; } = path;

    /// <summary>Index of the first record (from the file name); the segment may hold no record yet.</summary>
    public long FirstIndex { get; } = firstIndex;

    /// <summary>Size of the header: 16 (version 1) or 32 (version 2, a base segment).</summary>
    public int HeaderBytes { get; private set; } = WalFormat.SegmentHeaderBytes;

    /// <summary>Term of record <c>FirstIndex - 1</c> as the header records it (only base segments do; else 0).</summary>
    public long BaseTerm { get; private set; }

    /// <summary>Number of records held.</summary>
    public long RecordCount { get; private set; }

    /// <summary>End of the last whole frame (header size when empty); bytes past it are zero or being written.</summary>
    public long DataEndBytes { get; private set; } = WalFormat.SegmentHeaderBytes;

    /// <summary>Term of the last record; 0 when empty.</summary>
    public long LastTerm { get; private set; }

    /// <summary>Index of the last record; <c>FirstIndex - 1</c> when empty.</summary>
    public long LastIndex => FirstIndex + RecordCount - 1;

    /// <summary>The open handle while this is the active (last) segment; null otherwise.</summary>
    public IStorageFile? File { get; set; }

    /// <summary>Sets what the header says, before any record is known.</summary>
    public void SetHeader(int headerBytes, long baseTerm)
    {
        Invariant.Assert(RecordCount == 0);
        Invariant.Assert(headerBytes is WalFormat.SegmentHeaderBytes or WalFormat.BaseSegmentHeaderBytes);
        HeaderBytes = headerBytes;
        BaseTerm = baseTerm;
        DataEndBytes = headerBytes;
    }

    /// <summary>Records a frame that now ends the segment.</summary>
    public void AddRecord(long offsetBytes, long frameBytes, long term)
    {
        Invariant.Assert(offsetBytes == DataEndBytes);
        Invariant.Assert(frameBytes >= WalFormat.FrameHeaderBytes);
        Invariant.Assert(term >= LastTerm || RecordCount == 0);
        if (RecordCount % SparseStride == 0)
        {
            _sparseOffsets.Add(offsetBytes);
        }

        RecordCount++;
        DataEndBytes += frameBytes;
        LastTerm = term;
    }

    /// <summary>The nearest indexed record at or before <paramref name="index"/>: (its index, its offset).</summary>
    public (long Index, long OffsetBytes) NearestCheckpoint(long index)
    {
        Invariant.Assert(index >= FirstIndex);
        Invariant.Assert(index <= LastIndex + 1);
        if (RecordCount == 0)
        {
            return (FirstIndex, HeaderBytes);
        }

        long slot = Math.Min((index - FirstIndex) / SparseStride, _sparseOffsets.Count - 1);
        return (FirstIndex + (slot * SparseStride), _sparseOffsets[(int)slot]);
    }

    /// <summary>Forgets records from <c>FirstIndex + recordCount</c> on.</summary>
    public void TruncateTo(long recordCount, long dataEndBytes, long lastTerm)
    {
        Invariant.Assert(recordCount >= 0);
        Invariant.Assert(recordCount <= RecordCount);
        Invariant.Assert(dataEndBytes >= HeaderBytes);
        Invariant.Assert(dataEndBytes <= DataEndBytes);
        RecordCount = recordCount;
        DataEndBytes = dataEndBytes;
        LastTerm = recordCount == 0 ? 0 : lastTerm;
        int keep = (int)((recordCount + SparseStride - 1) / SparseStride);
        _sparseOffsets.RemoveRange(keep, _sparseOffsets.Count - keep);
    }
}
