using System.Buffers.Binary;
using System.Globalization;

namespace Statehouse.Storage;

/// <summary>
/// The on-disk format of WAL segments (all integers little-endian), documented in docs/internals/storage.md.
/// </summary>
/// <remarks>
/// Segment file <c>wal-{firstIndex:D20}.seg</c> = 16-byte header <c>"SHWAL001" u32 version u32 crc32c(first 12
/// bytes)</c>, then frames <c>[u32 payloadLength][u32 crc32c(index ‖ term ‖ payload)][u64 index][u64 term][payload]</c>.
/// </remarks>
internal static class WalFormat
{
    public const int SegmentHeaderBytes = 16;
    public const int FrameHeaderBytes = 24;
    public const uint FormatVersion = 1;
    public const string SegmentPrefix = "wal-";
    public const string SegmentSuffix = ".seg";
    private const int IndexDigits = 20;

    /// <summary>Magic at the start of every segment.</summary>
    public static ReadOnlySpan<byte> Magic => "SHWAL001"u8;

    /// <summary>The file name of the segment whose first record has <paramref name="firstIndex"/>.</summary>
    public static string SegmentFileName(long firstIndex)
    {
        Invariant.Assert(firstIndex >= 1);
        return SegmentPrefix + firstIndex.ToString("D20", CultureInfo.InvariantCulture) + SegmentSuffix;
    }

    /// <summary>Parses <c>wal-{firstIndex:D20}.seg</c>; false for any other name.</summary>
    public static bool TryParseSegmentFileName(string name, out long firstIndex)
    {
        firstIndex = 0;
        if (name.Length != SegmentPrefix.Length + IndexDigits + SegmentSuffix.Length
            || !name.StartsWith(SegmentPrefix, StringComparison.Ordinal)
            || !name.EndsWith(SegmentSuffix, StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> digits = name.AsSpan(SegmentPrefix.Length, IndexDigits);
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out firstIndex);
    }

    /// <summary>Writes the 16-byte segment header.</summary>
    public static void WriteSegmentHeader(Span<byte> destination)
    {
        Invariant.Assert(destination.Length >= SegmentHeaderBytes);
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], Crc32C.Compute(destination[..12]));
    }

    /// <summary>Classifies the first bytes of a segment file (fewer than 16 when the file is short).</summary>
    public static SegmentHeaderState CheckSegmentHeader(ReadOnlySpan<byte> header)
    {
        Span<byte> expected = stackalloc byte[SegmentHeaderBytes];
        WriteSegmentHeader(expected);
        if (header.Length >= SegmentHeaderBytes && header[..SegmentHeaderBytes].SequenceEqual(expected))
        {
            return SegmentHeaderState.Valid;
        }

        // Torn: the bytes that made it to disk are a prefix of the header and the rest is zero.
        ReadOnlySpan<byte> present = header.Length >= SegmentHeaderBytes ? header[..SegmentHeaderBytes] : header;
        int matching = present.CommonPrefixLength(expected);
        return present[matching..].ContainsAnyExcept((byte)0) ? SegmentHeaderState.Corrupt : SegmentHeaderState.Torn;
    }

    /// <summary>Encodes one frame into <paramref name="destination"/>; returns its size in bytes.</summary>
    public static int WriteFrame(Span<byte> destination, long index, long term, ReadOnlySpan<byte> payload)
    {
        int frameBytes = FrameHeaderBytes + payload.Length;
        Invariant.Assert(destination.Length >= frameBytes);
        Invariant.Assert(index >= 1);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], index);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], term);
        payload.CopyTo(destination[FrameHeaderBytes..]);

        // The checksum covers index, term and payload, which are contiguous from byte 8 on.
        uint crc = Crc32C.Compute(destination[8..frameBytes]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], crc);
        return frameBytes;
    }

    /// <summary>Decodes a 24-byte frame header.</summary>
    public static FrameHeader ReadFrameHeader(ReadOnlySpan<byte> source)
    {
        Invariant.Assert(source.Length >= FrameHeaderBytes);
        return new FrameHeader(
            BinaryPrimitives.ReadUInt32LittleEndian(source),
            BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]));
    }

    /// <summary>The checksum of a frame given its header bytes (8..24) and payload.</summary>
    public static uint ComputeFrameCrc(ReadOnlySpan<byte> headerBytes, ReadOnlySpan<byte> payload)
    {
        Invariant.Assert(headerBytes.Length >= FrameHeaderBytes);
        return Crc32C.Append(Crc32C.Compute(headerBytes[8..FrameHeaderBytes]), payload);
    }
}
