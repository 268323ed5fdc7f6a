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

    /// <summary>Largest value accepted, in bytes (default 1 MiB); larger ones are refused with an ArgumentException.</summary>
    public int MaxValueBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The in-process near cache in front of the store (off by default). With it on, reads are session-consistent
    /// (read-your-writes and monotonic per user with <see cref="SessionTokenMiddleware"/>), not linearizable, and a
    /// sliding entry read from memory restarts its window in the store at most every quarter window.
    /// </summary>
    public NearCacheOptions NearCache { get; } = new();

    /// <summary>The clock used for absolute expirations (tests replace it).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    StatehouseCacheOptions IOptions<StatehouseCacheOptions>.Value => this;
}
