using System.Buffers.Binary;

namespace Statehouse.Storage;

/// <summary>
/// Verifies one segment file held in memory and decides, at the first frame that fails, whether it is the torn
/// tail of an unacknowledged append (safe to cut) or damage to records that may be committed (refuse to start).
/// </summary>
/// <remarks>
/// Why the rules are safe: the log has one writer and every append ends with fdatasync before the next starts, so
/// only the bytes of the last append can be unsynced; they end the last segment. A bad frame there with nothing
/// valid after it is that append. A valid frame after a bad one means the bad frame was followed by a later append
/// and so was acknowledged — unless the bad region holds a sector that was never written (all zero), which proves
/// its write did not complete, as out-of-order writeback after a power loss can do (the rule etcd's WAL uses).
/// </remarks>
internal static class SegmentScanner
{
    /// <summary>Smallest unit a disk writes atomically; the grain of the "never written" evidence.</summary>
    public const int SectorBytes = 512;

    /// <summary>Scans <paramref name="file"/> (the whole segment), adding each verified record to <paramref name="segment"/>.</summary>
    public static SegmentScan Scan(ReadOnlySpan<byte> file, WalSegment segment, long previousTerm, bool isLast)
    {
        Invariant.Assert(segment.RecordCount == 0);
        Invariant.Assert(previousTerm >= 0);
        SegmentHeaderState header = WalFormat.CheckSegmentHeader(
            file[..Math.Min(file.Length, WalFormat.BaseSegmentHeaderBytes)], out int headerBytes, out long baseTerm);
        if (header == SegmentHeaderState.Torn)
        {
            return new SegmentScan(ScanOutcome.TornHeader, 0, 0, "segment header incomplete (crash while the segment was created)");
        }

        if (header == SegmentHeaderState.Corrupt)
        {
            return new SegmentScan(ScanOutcome.CorruptHeader, 0, 0, "bad segment header (magic, format version or checksum)");
        }

        segment.SetHeader(headerBytes, baseTerm);
        long offset = headerBytes;
        long term = Math.Max(previousTerm, baseTerm);
        long index = segment.FirstIndex;
        while (offset < file.Length)
        {
            string? problem = CheckFrame(file, offset, out FrameHeader frame);
            if (problem is not null)
            {
                return ClassifyBadFrame(file, offset, index, isLast, problem);
            }

            if (frame.Index != index)
            {
                return new SegmentScan(ScanOutcome.Corrupt, offset, 0, $"record index {frame.Index} where {index} was expected");
            }

            if (frame.Term < term)
            {
                return new SegmentScan(ScanOutcome.Corrupt, offset, 0, $"term decreases from {term} to {frame.Term} at index {index}");
            }

            segment.AddRecord(offset, frame.FrameBytes, frame.Term);
            offset += frame.FrameBytes;
            term = frame.Term;
            index++;
        }

        Invariant.Assert(offset == file.Length);
        return new SegmentScan(ScanOutcome.Clean, offset, 0, null);
    }

    /// <summary>Null when a whole frame with a right checksum starts at <paramref name="offset"/>; else why not.</summary>
    private static string? CheckFrame(ReadOnlySpan<byte> file, long offset, out FrameHeader frame)
    {
        frame = default;
        long remaining = file.Length - offset;
        if (remaining < WalFormat.FrameHeaderBytes)
        {
            return "partial frame header";
        }

        ReadOnlySpan<byte> headerBytes = file.Slice((int)offset, WalFormat.FrameHeaderBytes);
        frame = WalFormat.ReadFrameHeader(headerBytes);
        if (frame.IsZero)
        {
            return "zero frame header";
        }

        if (frame.FrameBytes > remaining)
        {
            return $"frame of {frame.FrameBytes} bytes extends past the end of the file";
        }

        ReadOnlySpan<byte> payload = file.Slice((int)offset + WalFormat.FrameHeaderBytes, (int)frame.PayloadLengthBytes);
        return WalFormat.ComputeFrameCrc(headerBytes, payload) == frame.Crc ? null : "checksum mismatch";
    }

    private static SegmentScan ClassifyBadFrame(ReadOnlySpan<byte> file, long offset, long expectedIndex, bool isLast, string problem)
    {
        ReadOnlySpan<byte> rest = file[(int)offset..];
        int lastNonZero = rest.LastIndexOfAnyExcept((byte)0);
        if (lastNonZero < 0)
        {
            // Only zeros from here on: preallocated space, or an extension whose data never reached the disk.
            return new SegmentScan(ScanOutcome.Clean, offset, 0, null);
        }

        if (!isLast)
        {
            return new SegmentScan(ScanOutcome.Corrupt, offset, 0, problem + " in a segment that is not the last");
        }

        long garbageBytes = lastNonZero + 1;
        long nextValid = FindNextValidFrame(file, offset, expectedIndex);
        if (nextValid < 0)
        {
            return new SegmentScan(ScanOutcome.TornTail, offset, garbageBytes, problem + " at the tail");
        }

        if (HasUnwrittenSector(file, offset, nextValid))
        {
            return new SegmentScan(ScanOutcome.TornTail, offset, garbageBytes,
                $"{problem}; a never-written sector precedes the frame at offset {nextValid}, so the append did not complete");
        }

        return new SegmentScan(ScanOutcome.Corrupt, offset, 0,
            $"{problem}, but a valid record follows at offset {nextValid}: not a torn tail");
    }

    /// <summary>Offset of the first whole, checksummed frame after <paramref name="badOffset"/>; -1 when none.</summary>
    private static long FindNextValidFrame(ReadOnlySpan<byte> file, long badOffset, long expectedIndex)
    {
        for (long position = badOffset + 1; position + WalFormat.FrameHeaderBytes <= file.Length; position++)
        {
            // Each frame takes at least a header, which bounds the index a frame at this position can carry.
            long index = BinaryPrimitives.ReadInt64LittleEndian(file[((int)position + 8)..]);
            long maxIndex = expectedIndex + ((position - badOffset) / WalFormat.FrameHeaderBytes) + 1;
            if (index < expectedIndex || index > maxIndex)
            {
                continue;
            }

            if (CheckFrame(file, position, out _) is null)
            {
                return position;
            }
        }

        return -1;
    }

    /// <summary>
    /// Whether [<paramref name="start"/>, <paramref name="end"/>) holds an all-zero sector (clipped at
    /// <paramref name="start"/>, which is a frame start): bytes that were never written.
    /// </summary>
    private static bool HasUnwrittenSector(ReadOnlySpan<byte> file, long start, long end)
    {
        Invariant.Assert(start < end);
        for (long sector = start - (start % SectorBytes); sector + SectorBytes <= end; sector += SectorBytes)
        {
            long from = Math.Max(sector, start);
            if (!file[(int)from..(int)(sector + SectorBytes)].ContainsAnyExcept((byte)0))
            {
                return true;
            }
        }

        return false;
    }
}
