using System.Buffers.Binary;

namespace Statehouse.AspNetCore;

/// <summary>
/// How a cache entry is stored: a 17-byte header (format 1, absolute expiry as Unix ms or 0, sliding window in ms or 0)
/// followed by the value. The store's TTL removes the entry; the header lets a read honour both expirations exactly
/// (TTLs are whole seconds) and lets a refresh compute the next TTL.
/// </summary>
internal readonly record struct CacheEnvelope(long AbsoluteExpiryUnixMs, long SlidingMs)
{
    public const int HeaderBytes = 17;
    private const byte Format = 1;

    public static byte[] Pack(CacheEnvelope header, ReadOnlySpan<byte> value)
    {
        var bytes = new byte[HeaderBytes + value.Length];
        bytes[0] = Format;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(1), header.AbsoluteExpiryUnixMs);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(9), header.SlidingMs);
        value.CopyTo(bytes.AsSpan(HeaderBytes));
        return bytes;
    }

    /// <summary>Reads a stored entry; false when it is not in this format (another writer used the key).</summary>
    public static bool TryUnpack(ReadOnlyMemory<byte> stored, out CacheEnvelope header, out ReadOnlyMemory<byte> value)
    {
        header = default;
        value = default;
        if (stored.Length < HeaderBytes || stored.Span[0] != Format)
        {
            return false;
        }

        header = new CacheEnvelope(BinaryPrimitives.ReadInt64LittleEndian(stored.Span[1..]), BinaryPrimitives.ReadInt64LittleEndian(stored.Span[9..]));
        value = stored[HeaderBytes..];
        return header.AbsoluteExpiryUnixMs >= 0 && header.SlidingMs >= 0;
    }

    /// <summary>
    /// The TTL to give the entry now: the sliding window, cut at the absolute expiry; null when neither is set;
    /// zero or less when it has already expired.
    /// </summary>
    public TimeSpan? TtlAt(long nowUnixMs)
    {
        long? ms = SlidingMs > 0 ? SlidingMs : null;
        if (AbsoluteExpiryUnixMs > 0)
        {
            var left = AbsoluteExpiryUnixMs - nowUnixMs;
            ms = ms is { } sliding ? Math.Min(sliding, left) : left;
        }

        return ms is { } value ? TimeSpan.FromMilliseconds(value) : null;
    }

    /// <summary>Store TTLs are whole seconds (at least 1): round up, so an entry never goes before its time.</summary>
    public static TimeSpan StoreTtl(TimeSpan ttl) => TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(ttl.TotalSeconds)));
}
