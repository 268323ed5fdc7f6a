namespace Statehouse.Storage;

/// <summary>The 24-byte header of a WAL frame, decoded.</summary>
internal readonly record struct FrameHeader(uint PayloadLengthBytes, uint Crc, long Index, long Term)
{
    /// <summary>Header plus payload.</summary>
    public long FrameBytes => WalFormat.FrameHeaderBytes + (long)PayloadLengthBytes;

    /// <summary>All four fields zero: never written (preallocated or zero-filled space).</summary>
    public bool IsZero => PayloadLengthBytes == 0 && Crc == 0 && Index == 0 && Term == 0;
}
