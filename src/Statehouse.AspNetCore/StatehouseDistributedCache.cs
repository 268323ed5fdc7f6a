using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using Statehouse.Client;

namespace Statehouse.AspNetCore;

/// <summary>
/// <see cref="IDistributedCache"/> on Statehouse, so ASP.NET Core session state, <c>HybridCache</c> and anything else
/// written against the abstraction keep their data in the cluster instead of one server's memory. Expirations map to
/// the store's TTLs (a lease per entry): an absolute expiration becomes the TTL; a sliding one becomes the TTL (window
/// plus a slack of a tenth, 1 s to 1 min) and is renewed on every read or <see cref="RefreshAsync"/> — by a lease
/// keep-alive when there is no absolute limit, else by rewriting the entry with the TTL cut at the absolute limit (a
/// compare-and-set, so a concurrent write wins). A lease is at most <see cref="StatehouseCacheOptions.MaxLeaseTtl"/>
/// (30 days); an entry that lives longer keeps its expiry in its header and a read re-arms its lease.
/// </summary>
/// <remarks>
/// The synchronous methods block the calling thread on the asynchronous ones (the client is asynchronous), except a
/// <see cref="Get"/> answered from the near cache and a <see cref="Refresh"/> that needs no store write; prefer the
/// asynchronous methods (ASP.NET Core sessions and <c>HybridCache</c> use them). Every returned array is the caller's
/// own. Thread-safe.
/// </remarks>
public sealed class StatehouseDistributedCache : IDistributedCache, IAsyncDisposable, IDisposable
{
    private readonly StateClient _client;
    private readonly StatehouseCacheOptions _options;
    private readonly NearCache? _near;
    private readonly long _maxLeaseMs;

    public StatehouseDistributedCache(StateClient client, IOptions<StatehouseCacheOptions> options, ILogger<StatehouseDistributedCache>? logger = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _options = options?.Value ?? throw new ArgumentNullException(nameof(options));
        ArgumentException.ThrowIfNullOrEmpty(_options.KeyPrefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxValueBytes, 1, "MaxValueBytes");
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxLeaseTtl, TimeSpan.FromSeconds(2), "MaxLeaseTtl");
        _maxLeaseMs = (long)Math.Floor(_options.MaxLeaseTtl.TotalSeconds) * 1000; // the node grants whole seconds
        if (_options.NearCache.Enabled)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(_options.NearCache.MaxEntries, 1, "NearCache.MaxEntries");
            ArgumentOutOfRangeException.ThrowIfLessThan(_options.NearCache.MaxBytes, 1, "NearCache.MaxBytes");
            _near = new NearCache(_client, _options.Keyspace, _options.KeyPrefix, _options.NearCache, _options.TimeProvider, logger);
        }
    }

    /// <summary>What the near cache keeps per key besides the value: the header and the stored entry (for sliding).</summary>
    private sealed record Cached(CacheEnvelope Header, KeyValueEntry Entry);

    /// <summary>What a read from the near cache found.</summary>
    private enum MemoryRead
    {
        Miss,
        Hit,
        HitNeedsSlide,
    }

    public async ValueTask DisposeAsync()
    {
        if (_near is not null)
        {
            await _near.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops the near cache's watch without waiting for it (containers dispose synchronously too).</summary>
    public void Dispose() => _near?.Dispose();

    private long NowMs => _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private string StoreKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return _options.KeyPrefix + key;
    }

    private ReadOptions Read => new() { Keyspace = _options.Keyspace, Consistency = _options.ReadConsistency };

    public byte[]? Get(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (ReadMemory(key, out var slot, out var cached) == MemoryRead.Hit)
        {
            return Served(slot, cached);
        }

        return GetAsync(key).GetAwaiter().GetResult();
    }

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        token.ThrowIfCancellationRequested();
        switch (ReadMemory(key, out var slot, out var cached))
        {
            case MemoryRead.Hit:
                return Served(slot, cached);
            case MemoryRead.HitNeedsSlide:
                // Restart the store's window before answering: the lease has window + slack from the last restart,
                // and slack has gone, so without it the entry could leave the store less than a window after this read.
                slot.SlidAtMs = NowMs; // before the call: the new lease runs from when the node applies it, later
                if (await SlideAsync(key, cached.Entry, cached.Header, token).ConfigureAwait(false))
                {
                    return Served(slot, cached);
                }

                _near!.Evict(key, slot, "invalidated"); // changed or gone meanwhile: the store knows
                break;
        }

        return await ReadStoreAsync(key, token).ConfigureAwait(false);
    }

    /// <summary>Whether the near cache can answer, and whether it must restart the sliding window first.</summary>
    private MemoryRead ReadMemory(string key, out NearCache.Slot slot, out Cached cached)
    {
        cached = null!;
        if (_near is null || !_near.TryGet(key, _client.SessionRevision, out slot) || slot.Header is not Cached found)
        {
            slot = null!;
            return MemoryRead.Miss;
        }

        cached = found;
        var now = NowMs;
        if (found.Header.IsExpiredAt(now) || found.Header.NeedsRearmAt(now, _maxLeaseMs))
        {
            // The store read deletes the expired entry, or re-arms the lease.
            _near.Evict(key, slot, "expired");
            return MemoryRead.Miss;
        }

        return found.Header.SlidingMs > 0 && now - slot.SlidAtMs >= CacheEnvelope.SlidingSlackMs(found.Header.SlidingMs)
            ? MemoryRead.HitNeedsSlide
            : MemoryRead.Hit;
    }

    private byte[] Served(NearCache.Slot slot, Cached cached)
    {
        // The user has now seen this value: later reads (from any replica) must not show an older one.
        _client.ObserveRevision(cached.Entry.ModRevision);
        return slot.Value.AsSpan().ToArray(); // the caller's own copy: writing into it must not change later reads
    }

    private async Task<byte[]?> ReadStoreAsync(string key, CancellationToken token)
    {
        var result = await _client.GetAsync(StoreKey(key), Read, token).ConfigureAwait(false);
        if (result.Entry is not { } entry || !CacheEnvelope.TryUnpack(entry.Value, out var header, out var value))
        {
            return null;
        }

        var now = NowMs;
        if (header.IsExpiredAt(now))
        {
            // Past its absolute expiry: missing, whatever the store still holds (its lease ends within a second,
            // or later if this clock is ahead of the node's). Delete it now rather than wait.
            await DeleteExpiredAsync(key, entry, token).ConfigureAwait(false);
            return null;
        }

        var kept = await KeepAsync(key, entry, header, token).ConfigureAwait(false);
        var bytes = value.ToArray();
        if (_near is null)
        {
            return bytes;
        }

        if (kept)
        {
            _near.Put(key, bytes, new Cached(header, entry), result.Revision, header.SlidingMs > 0 ? now : 0);
        }

        return bytes.AsSpan().ToArray(); // the near cache keeps its own copy
    }

    /// <summary>Restarts a sliding window or re-arms a long entry's lease, as the entry needs; false when that failed.</summary>
    private async Task<bool> KeepAsync(string key, KeyValueEntry entry, CacheEnvelope header, CancellationToken token)
    {
        if (header.SlidingMs > 0)
        {
            return await SlideAsync(key, entry, header, token).ConfigureAwait(false);
        }

        if (header.NeedsRearmAt(NowMs, _maxLeaseMs))
        {
            return await RewriteAsync(key, entry, header, token).ConfigureAwait(false);
        }

        return true;
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    /// <remarks>
    /// An absolute expiration at or before now stores nothing and removes any value the key had, as if the entry had
    /// been written and had expired at once (no exception: Microsoft's memory cache does the same, its Redis and SQL
    /// Server caches throw). Expirations of any length work, up to <see cref="DateTimeOffset.MaxValue"/>.
    /// </remarks>
    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        token.ThrowIfCancellationRequested();
        if (value.Length > _options.MaxValueBytes)
        {
            throw new ArgumentException($"The value is {value.Length} bytes; this cache accepts at most {_options.MaxValueBytes} (StatehouseCacheOptions.MaxValueBytes).", nameof(value));
        }

        if (options.AbsoluteExpirationRelativeToNow is { } r && r <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), r, "The relative expiration must be positive.");
        }

        if (options.SlidingExpiration is { } s && s <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), s, "The sliding expiration must be positive.");
        }

        var now = NowMs;
        var absolute = options.AbsoluteExpiration?.ToUnixTimeMilliseconds()
            ?? (options.AbsoluteExpirationRelativeToNow is { } relative ? now + (long)relative.TotalMilliseconds : 0);
        if (options.AbsoluteExpiration is not null && absolute <= now)
        {
            // Already expired: make sure no older value stays readable.
            await RemoveAsync(key, token).ConfigureAwait(false);
            return;
        }

        var header = new CacheEnvelope(absolute, (long)(options.SlidingExpiration?.TotalMilliseconds ?? 0));
        var lease = header.LeaseAt(now, _maxLeaseMs);
        var put = await _client.PutAsync(StoreKey(key), CacheEnvelope.Pack(header.WithLease(now, lease), value), new PutOptions
        {
            Keyspace = _options.Keyspace,
            Ttl = lease is { } l ? CacheEnvelope.StoreTtl(l) : null,
        }, token).ConfigureAwait(false);
        _near?.Invalidate(key, put.Revision);
    }

    public void Refresh(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (!RefreshIsCovered(key))
        {
            RefreshAsync(key).GetAwaiter().GetResult();
        }
    }

    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        token.ThrowIfCancellationRequested();
        if (RefreshIsCovered(key))
        {
            return;
        }

        var result = await _client.GetAsync(StoreKey(key), Read, token).ConfigureAwait(false);
        if (result.Entry is { } entry && CacheEnvelope.TryUnpack(entry.Value, out var header, out _) && !header.IsExpiredAt(NowMs))
        {
            await KeepAsync(key, entry, header, token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether this process restarted the key's window less than its slack ago (ASP.NET Core sessions refresh after
    /// every request): the lease then still covers a full window from now.
    /// </summary>
    private bool RefreshIsCovered(string key) =>
        _near is not null && _near.Peek(key) is { Header: Cached cached } slot && cached.Header.SlidingMs > 0
        && NowMs - slot.SlidAtMs < CacheEnvelope.SlidingSlackMs(cached.Header.SlidingMs);

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        var deleted = await _client.DeleteAsync(StoreKey(key), new DeleteOptions { Keyspace = _options.Keyspace }, token).ConfigureAwait(false);
        _near?.Invalidate(key, deleted.Revision);
    }

    /// <summary>Deletes an entry read past its expiry, unless it was written again since.</summary>
    private async Task DeleteExpiredAsync(string key, KeyValueEntry entry, CancellationToken token)
    {
        try
        {
            var deleted = await _client.DeleteAsync(StoreKey(key), new DeleteOptions
            {
                Keyspace = _options.Keyspace,
                Precondition = Precondition.IfModRevision(entry.ModRevision),
            }, token).ConfigureAwait(false);
            _near?.Invalidate(key, deleted.Revision);
        }
        catch (StatehouseException ex) when (ex.Code == StatehouseErrorCode.PreconditionFailed)
        {
            // Written again since our read: the new value has its own expiration.
        }
    }

    /// <summary>Starts the sliding window again from now; false when the entry changed or expired meanwhile.</summary>
    private async Task<bool> SlideAsync(string key, KeyValueEntry entry, CacheEnvelope header, CancellationToken token)
    {
        if (header.AbsoluteExpiryUnixMs == 0 && entry.Lease != 0)
        {
            // The entry's own lease was granted window + slack: a keep-alive restarts it.
            try
            {
                var renewed = await _client.LeaseKeepAliveOnceAsync(entry.Lease, token).ConfigureAwait(false);
                return renewed.IsAlive;
            }
            catch (StatehouseException ex) when (ex.Code == StatehouseErrorCode.NotFound)
            {
                return false; // expired meanwhile
            }
        }

        return await RewriteAsync(key, entry, header, token).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the entry again, unchanged but for a new lease from now (cut at the absolute expiry, at most the longest
    /// lease) — a compare-and-set on the revision read, so a concurrent write wins; false when it did not happen.
    /// </summary>
    private async Task<bool> RewriteAsync(string key, KeyValueEntry entry, CacheEnvelope header, CancellationToken token)
    {
        var now = NowMs;
        if (header.LeaseAt(now, _maxLeaseMs) is not { } lease || lease <= TimeSpan.Zero
            || !CacheEnvelope.TryUnpack(entry.Value, out _, out var value))
        {
            return false;
        }

        try
        {
            var put = await _client.PutAsync(StoreKey(key), CacheEnvelope.Pack(header.WithLease(now, lease), value.Span), new PutOptions
            {
                Keyspace = _options.Keyspace,
                Precondition = Precondition.IfModRevision(entry.ModRevision),
                Ttl = CacheEnvelope.StoreTtl(lease),
            }, token).ConfigureAwait(false);
            _near?.Invalidate(key, put.Revision);
            return true;
        }
        catch (StatehouseException ex) when (ex.Code == StatehouseErrorCode.PreconditionFailed)
        {
            return false; // someone wrote the entry since our read: their write set its own expiration
        }
    }
}
