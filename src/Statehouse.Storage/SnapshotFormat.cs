using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;

namespace Statehouse.Storage;

/// <summary>
/// The snapshot file format (little-endian), documented in docs/internals/storage.md:
/// header <c>"SHSNAP01" u32 version u32 reserved u64 index u64 term</c> (32 bytes), the opaque body, then the
/// trailer <c>u64 bodyLength u32 crc32c(header ‖ body) "SEND"</c> (16 bytes).
/// </summary>
internal static class SnapshotFormat
{
    public const int HeaderBytes = 32;
    public const int TrailerBytes = 16;
    public const uint FormatVersion = 1;
    public const string Prefix = "snap-";
    public const string FinalSuffix = ".snap";
    public const string TempSuffix = ".tmp";
    public const string CorruptSuffix = ".corrupt";
    private const int NumberDigits = 20;
    private const int VerifyChunkBytes = 64 << 10;

    /// <summary>Magic at the start of a snapshot.</summary>
    public static ReadOnlySpan<byte> Magic => "SHSNAP01"u8;

    /// <summary>Magic at the very end of a complete snapshot.</summary>
    public static ReadOnlySpan<byte> TrailerMagic => "SEND"u8;

    /// <summary><c>snap-{index:D20}-{term:D20}</c> plus <paramref name="suffix"/>.</summary>
    public static string FileName(long index, long term, string suffix) =>
        Prefix + index.ToString("D20", CultureInfo.InvariantCulture) + "-" + term.ToString("D20", CultureInfo.InvariantCulture) + suffix;

    /// <summary>Parses <c>snap-{index:D20}-{term:D20}.snap</c>.</summary>
    public static bool TryParseFileName(string name, out long index, out long term)
    {
        index = 0;
        term = 0;
        int expectedLength = Prefix.Length + NumberDigits + 1 + NumberDigits + FinalSuffix.Length;
        if (name.Length != expectedLength
            || !name.StartsWith(Prefix, StringComparison.Ordinal)
            || !name.EndsWith(FinalSuffix, StringComparison.Ordinal)
            || name[Prefix.Length + NumberDigits] != '-')
        {
            return false;
        }

        return long.TryParse(name.AsSpan(Prefix.Length, NumberDigits), NumberStyles.None, CultureInfo.InvariantCulture, out index)
            && long.TryParse(name.AsSpan(Prefix.Length + NumberDigits + 1, NumberDigits), NumberStyles.None, CultureInfo.InvariantCulture, out term);
    }

    /// <summary>Writes the 32-byte header.</summary>
    public static void WriteHeader(Span<byte> destination, long index, long term)
    {
        Invariant.Assert(destination.Length >= HeaderBytes);
        Invariant.Assert(index >= 0 && term >= 0);
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], index);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], term);
    }

    /// <summary>Writes the 16-byte trailer.</summary>
    public static void WriteTrailer(Span<byte> destination, long bodyLengthBytes, uint crc)
    {
        Invariant.Assert(destination.Length >= TrailerBytes);
        Invariant.Assert(bodyLengthBytes >= 0);
        BinaryPrimitives.WriteInt64LittleEndian(destination, bodyLengthBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], crc);
        TrailerMagic.CopyTo(destination[12..]);
    }

    /// <summary>
    /// Checks header, trailer and checksum of a whole snapshot file against the index and term of its name.
    /// Returns null when valid; otherwise why not, with the offset of the problem.
    /// </summary>
    public static string? Verify(IStorageFile file, long index, long term, out long bodyLengthBytes, out long problemOffset) =>
        Verify(file, index, term, out bodyLengthBytes, out _, out problemOffset);

    /// <summary>As <see cref="Verify(IStorageFile, long, long, out long, out long)"/>, also giving the checksum.</summary>
    public static string? Verify(IStorageFile file, long index, long term, out long bodyLengthBytes, out uint checksum, out long problemOffset)
    {
        bodyLengthBytes = 0;
        checksum = 0;
        problemOffset = 0;
        long length = file.Length;
        if (length < HeaderBytes + TrailerBytes)
        {
            return $"file of {length} bytes is shorter than header and trailer";
        }

        Span<byte> header = stackalloc byte[HeaderBytes];
        Span<byte> trailer = stackalloc byte[TrailerBytes];
        if (file.ReadFully(0, header) != HeaderBytes || file.ReadFully(length - TrailerBytes, trailer) != TrailerBytes)
        {
            return "short read";
        }

        if (!header[..8].SequenceEqual(Magic) || BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) != FormatVersion)
        {
            return "bad magic or unknown format version";
        }

        if (BinaryPrimitives.ReadInt64LittleEndian(header[16..]) != index || BinaryPrimitives.ReadInt64LittleEndian(header[24..]) != term)
        {
            return "index or term in the header differ from the file name";
        }

        problemOffset = length - TrailerBytes;
        long declaredBodyBytes = BinaryPrimitives.ReadInt64LittleEndian(trailer);
        if (!trailer[12..].SequenceEqual(TrailerMagic) || declaredBodyBytes != length - HeaderBytes - TrailerBytes)
        {
            return "missing or inconsistent trailer (incomplete write)";
        }

        uint crc = ComputeCrc(file, HeaderBytes + declaredBodyBytes);
        if (crc != BinaryPrimitives.ReadUInt32LittleEndian(trailer[8..]))
        {
            return "checksum mismatch";
        }

        bodyLengthBytes = declaredBodyBytes;
        checksum = crc;
        problemOffset = 0;
        return null;
    }

    private static uint ComputeCrc(IStorageFile file, long lengthBytes)
    {
        byte[] chunk = ArrayPool<byte>.Shared.Rent(VerifyChunkBytes);
        try
        {
            uint crc = 0;
            long offset = 0;
            while (offset < lengthBytes)
            {
                int want = (int)Math.Min(chunk.Length, lengthBytes - offset);
                int read = file.ReadFully(offset, chunk.AsSpan(0, want));
                if (read != want)
                {
                    throw new StorageCorruptedException(file.Path, offset + read, "file shrank while being verified");
                }

                crc = Crc32C.Append(crc, chunk.AsSpan(0, read));
                offset += read;
            }

            return crc;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
