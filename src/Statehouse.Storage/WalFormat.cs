using System.Buffers.Binary;
using System.Globalization;

namespace Statehouse.Storage;

/// <summary>
/// The on-disk format of WAL segments (all integers little-endian), documented in docs/internals/storage.md.
/// </summary>
/// <remarks>
/// Segment file <c>wal-{firstIndex:D20}.seg</c> = 16-byte header <c>"SHWAL001" u32 version=1 u32 crc32c(first 12
/// bytes)</c>, or (a base segment written by <see cref="WriteAheadLog.ResetAfterSnapshot"/>) the 32-byte header
/// <c>"SHWAL001" u32 version=2 u32 reserved u64 baseTerm u32 reserved u32 crc32c(first 28 bytes)</c>, then frames <c>[u32 payloadLength][u32 crc32c(index ‖ term ‖ payload)][u64 index][u64 term][payload]</c>.
/// </remarks>
internal static class WalFormat
{
    /// <summary>Size of the version-1 header of an ordinary segment.</summary>
    public const int SegmentHeaderBytes = 16;

    /// <summary>Size of the version-2 header of a base segment (one that starts the log after a snapshot).</summary>
    public const int BaseSegmentHeaderBytes = 32;
    public const int FrameHeaderBytes = 24;
    public const uint FormatVersion = 1;
    public const uint BaseFormatVersion = 2;

    /// <summary>Name of the file a reset writes before renaming it into place; a leftover is deleted at open.</summary>
    public const string ResetTempFileName = "wal-reset.tmp";
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

    /// <summary>Writes the 32-byte version-2 header of a base segment whose record <c>FirstIndex - 1</c> has <paramref name="baseTerm"/>.</summary>
    public static void WriteBaseSegmentHeader(Span<byte> destination, long baseTerm)
    {
        Invariant.Assert(destination.Length >= BaseSegmentHeaderBytes);
        Invariant.Assert(baseTerm >= 0);
        destination[..BaseSegmentHeaderBytes].Clear();
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], BaseFormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], baseTerm);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[28..], Crc32C.Compute(destination[..28]));
    }

    /// <summary>
    /// Classifies the first bytes of a segment file (pass up to <see cref="BaseSegmentHeaderBytes"/>; fewer when the
    /// file is short). For a valid header, <paramref name="headerBytes"/> is its size and <paramref name="baseTerm"/>
    /// the term of record <c>FirstIndex - 1</c> it carries (0 for version 1, which does not record it).
    /// </summary>
    public static SegmentHeaderState CheckSegmentHeader(ReadOnlySpan<byte> header, out int headerBytes, out long baseTerm)
    {
        headerBytes = SegmentHeaderBytes;
        baseTerm = 0;
        if (header.Length >= 12 && header[..8].SequenceEqual(Magic)
            && BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) == BaseFormatVersion)
        {
            // Rebuild the expected header from the term present (zeros where the file ends), then compare.
            Span<byte> expected = stackalloc byte[BaseSegmentHeaderBytes];
            Span<byte> termBytes = stackalloc byte[8];
            termBytes.Clear();
            if (header.Length > 16)
            {
                header[16..Math.Min(header.Length, 24)].CopyTo(termBytes);
            }

            long term = BinaryPrimitives.ReadInt64LittleEndian(termBytes);
            WriteBaseSegmentHeader(expected, Math.Max(term, 0));
            ReadOnlySpan<byte> present = header[..Math.Min(header.Length, BaseSegmentHeaderBytes)];
            if (term >= 0 && present.Length == BaseSegmentHeaderBytes && present.SequenceEqual(expected))
            {
                headerBytes = BaseSegmentHeaderBytes;
                baseTerm = term;
                return SegmentHeaderState.Valid;
            }

            return IsTornPrefix(present, expected) && term >= 0 ? SegmentHeaderState.Torn : SegmentHeaderState.Corrupt;
        }

        Span<byte> expectedV1 = stackalloc byte[SegmentHeaderBytes];
        WriteSegmentHeader(expectedV1);
        if (header.Length >= SegmentHeaderBytes && header[..SegmentHeaderBytes].SequenceEqual(expectedV1))
        {
            return SegmentHeaderState.Valid;
        }

        return IsTornPrefix(header.Length >= SegmentHeaderBytes ? header[..SegmentHeaderBytes] : header, expectedV1)
            ? SegmentHeaderState.Torn
            : SegmentHeaderState.Corrupt;
    }

    /// <summary>Torn: the bytes that made it to disk are a prefix of the header and the rest is zero.</summary>
    private static bool IsTornPrefix(ReadOnlySpan<byte> present, ReadOnlySpan<byte> expected)
    {
        int matching = present.CommonPrefixLength(expected);
        return !present[matching..].ContainsAnyExcept((byte)0);
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
