using System.Buffers.Binary;

namespace Statehouse.AspNetCore;

/// <summary>
/// How a cache entry is stored: a header followed by the value. Format 1 (17 bytes): format byte, absolute expiry as
/// Unix ms or 0, sliding window in ms or 0. Format 2 (25 bytes) adds the Unix ms at which the entry's store lease ends,
/// written only for an entry that outlives the longest lease the store grants (30 days): its lease is re-armed by a
/// read once half of it has gone. The store's lease removes the entry; the header lets a read honour both
/// expirations exactly (TTLs are whole seconds) and lets a refresh compute the next TTL.
/// </summary>
/// <param name="AbsoluteExpiryUnixMs">When the entry expires whatever its reads, Unix ms; 0 for never.</param>
/// <param name="SlidingMs">The sliding window, ms; 0 for none.</param>
/// <param name="LeaseUntilUnixMs">When the store lease ends if that is before the absolute expiry (format 2); else 0.</param>
internal readonly record struct CacheEnvelope(long AbsoluteExpiryUnixMs, long SlidingMs, long LeaseUntilUnixMs = 0)
{
    /// <summary>Header of an entry whose lease runs to its end (or that has no expiration).</summary>
    public const int HeaderBytes = 17;

    /// <summary>Header of an entry that outlives its lease; the most any header takes.</summary>
    public const int LongHeaderBytes = 25;

    /// <summary>The most the header adds to a value: the cache's value limit is the node's minus this.</summary>
    public const int MaxHeaderBytes = LongHeaderBytes;

    private const byte Format = 1;
    private const byte LongFormat = 2;

    public static byte[] Pack(CacheEnvelope header, ReadOnlySpan<byte> value)
    {
        var headerBytes = header.LeaseUntilUnixMs > 0 ? LongHeaderBytes : HeaderBytes;
        var bytes = new byte[headerBytes + value.Length];
        bytes[0] = header.LeaseUntilUnixMs > 0 ? LongFormat : Format;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(1), header.AbsoluteExpiryUnixMs);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(9), header.SlidingMs);
        if (header.LeaseUntilUnixMs > 0)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(17), header.LeaseUntilUnixMs);
        }

        value.CopyTo(bytes.AsSpan(headerBytes));
        return bytes;
    }

    /// <summary>Reads a stored entry; false when it is not in this format (another writer used the key).</summary>
    public static bool TryUnpack(ReadOnlyMemory<byte> stored, out CacheEnvelope header, out ReadOnlyMemory<byte> value)
    {
        header = default;
        value = default;
        if (stored.Length < HeaderBytes || stored.Span[0] is not (Format or LongFormat))
        {
            return false;
        }

        var headerBytes = stored.Span[0] == LongFormat ? LongHeaderBytes : HeaderBytes;
        if (stored.Length < headerBytes)
        {
            return false;
        }

        var leaseUntil = headerBytes == LongHeaderBytes ? BinaryPrimitives.ReadInt64LittleEndian(stored.Span[17..]) : 0;
        header = new CacheEnvelope(BinaryPrimitives.ReadInt64LittleEndian(stored.Span[1..]), BinaryPrimitives.ReadInt64LittleEndian(stored.Span[9..]), leaseUntil);
        value = stored[headerBytes..];
        return header.AbsoluteExpiryUnixMs >= 0 && header.SlidingMs >= 0 && header.LeaseUntilUnixMs >= 0;
    }

    /// <summary>Whether the absolute expiry has passed (the entry must read as missing even if the store still has it).</summary>
    public bool IsExpiredAt(long nowUnixMs) => AbsoluteExpiryUnixMs > 0 && AbsoluteExpiryUnixMs <= nowUnixMs;

    /// <summary>
    /// The slack added to a sliding entry's lease beyond its window, and the longest a near cache may serve it from
    /// memory without restarting the window in the store: a tenth of the window, at least 1 s (TTLs are whole
    /// seconds), at most 1 min. Every instance derives it from the stored window, so they all agree. The lease from
    /// the last restart is window + slack, and a read from memory restarts the window once slack has gone since the
    /// last restart, so the store always keeps the entry for at least the window after any read; an idle entry leaves
    /// the store between window and window + slack after its last read.
    /// </summary>
    public static long SlidingSlackMs(long slidingMs) => Math.Clamp(slidingMs / 10, 1000, 60_000);

    /// <summary>
    /// The lease to give the entry now, at most <paramref name="maxLeaseMs"/>: the sliding window plus its slack, cut
    /// at the absolute expiry; null when neither is set; zero or less when it has already expired.
    /// </summary>
    public TimeSpan? LeaseAt(long nowUnixMs, long maxLeaseMs)
    {
        long? ms = SlidingMs > 0 ? SlidingMs + SlidingSlackMs(SlidingMs) : null;
        if (AbsoluteExpiryUnixMs > 0)
        {
            var left = AbsoluteExpiryUnixMs - nowUnixMs;
            ms = ms is { } sliding ? Math.Min(sliding, left) : left;
        }

        return ms is { } value ? TimeSpan.FromMilliseconds(Math.Min(value, maxLeaseMs)) : null;
    }

    /// <summary>
    /// The header to store with a lease of <paramref name="lease"/> granted at <paramref name="nowUnixMs"/>: format 2
    /// (remembering when the lease ends) when nothing but a re-arm would keep the entry until its absolute expiry —
    /// no sliding window restarts its lease, and the lease ends before the expiry.
    /// </summary>
    public CacheEnvelope WithLease(long nowUnixMs, TimeSpan? lease)
    {
        if (SlidingMs == 0 && AbsoluteExpiryUnixMs > 0 && lease is { } l && nowUnixMs + (long)l.TotalMilliseconds < AbsoluteExpiryUnixMs)
        {
            return this with { LeaseUntilUnixMs = nowUnixMs + (long)l.TotalMilliseconds };
        }

        return this with { LeaseUntilUnixMs = 0 };
    }

    /// <summary>Whether a read should re-arm the lease: it ends before the expiry, and less than half the longest lease is left.</summary>
    public bool NeedsRearmAt(long nowUnixMs, long maxLeaseMs) => LeaseUntilUnixMs > 0 && LeaseUntilUnixMs - nowUnixMs < maxLeaseMs / 2;

    /// <summary>Store TTLs are whole seconds (at least 1): round up, so an entry never goes before its time.</summary>
    public static TimeSpan StoreTtl(TimeSpan ttl) => TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(ttl.TotalSeconds)));
}
