using Microsoft.Extensions.Options;
using Statehouse.Client;

namespace Statehouse.AspNetCore;

/// <summary>Where and how <see cref="StatehouseDistributedCache"/> keeps entries.</summary>
public sealed class StatehouseCacheOptions : IOptions<StatehouseCacheOptions>
{
    /// <summary>Keyspace of the entries (default: the client's default keyspace).</summary>
    public string? Keyspace { get; set; }

    /// <summary>Prefix put before every cache key, so the cache shares a keyspace safely (default <c>cache/</c>).</summary>
    public string KeyPrefix { get; set; } = "cache/";

    /// <summary>
    /// Consistency of reads. Linearizable (default) always sees the latest write; Session is enough — and cheaper on
    /// followers — when requests run inside a session scope (<see cref="SessionTokenMiddleware"/>).
    /// </summary>
    public ReadConsistency ReadConsistency { get; set; } = ReadConsistency.Linearizable;

    /// <summary>The node's largest value by default (<c>StoreLimits.MaxValueBytes</c>, <c>--max-value-bytes</c>): 1 MiB.</summary>
    public const int NodeDefaultMaxValueBytes = 1024 * 1024;

    /// <summary>What the entry header adds to a value, at most (25 bytes).</summary>
    public const int EntryOverheadBytes = CacheEnvelope.MaxHeaderBytes;

    /// <summary>
    /// Largest value accepted, in bytes; larger ones are refused up front with an <see cref="ArgumentException"/>.
    /// The default, 1,048,551 (1 MiB − 25), is the node's default value limit less the entry header, so any value
    /// the cache accepts the node stores. A node or keyspace with a lower value limit needs this set to that limit
    /// minus <see cref="EntryOverheadBytes"/>, or the node refuses what the cache let through.
    /// </summary>
    public int MaxValueBytes { get; set; } = NodeDefaultMaxValueBytes - EntryOverheadBytes;

    /// <summary>
    /// The longest lease the node grants (default 30 days, the node's <c>StoreLimits.MaxLeaseTtlSeconds</c>; whole
    /// seconds). Longer expirations are honoured all the same: such an entry's lease is at most this long, its
    /// expiry is kept in the entry, and a read re-arms the lease once half of it has gone.
    /// </summary>
    public TimeSpan MaxLeaseTtl { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// The in-process near cache in front of the store (off by default). With it on, reads are session-consistent
    /// (read-your-writes and monotonic per user with <see cref="SessionTokenMiddleware"/>), not linearizable, and a
    /// sliding entry read from memory restarts its window in the store once a tenth of the window (1 s to 1 min) has
    /// gone since the last restart — its lease carries that much slack, so it never ends early.
    /// </summary>
    public NearCacheOptions NearCache { get; } = new();

    /// <summary>The clock used for absolute expirations (tests replace it).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    StatehouseCacheOptions IOptions<StatehouseCacheOptions>.Value => this;
}
