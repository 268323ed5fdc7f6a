using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using Statehouse.Client;

namespace Statehouse.AspNetCore;

/// <summary>
/// <see cref="IDistributedCache"/> on Statehouse, so ASP.NET Core session state, <c>HybridCache</c> and anything else
/// written against the abstraction keep their data in the cluster instead of one server's memory. Expirations map to
/// the store's TTLs (a lease per entry): an absolute expiration becomes the TTL; a sliding one becomes the TTL and is
/// renewed on every read or <see cref="RefreshAsync"/> — by a lease keep-alive when there is no absolute limit, else
/// by rewriting the entry with the TTL cut at the absolute limit (a compare-and-set, so a concurrent write wins).
/// </summary>
public sealed class StatehouseDistributedCache : IDistributedCache, IAsyncDisposable
{
    private readonly StateClient _client;
    private readonly StatehouseCacheOptions _options;
    private readonly NearCache? _near;

    public StatehouseDistributedCache(StateClient client, IOptions<StatehouseCacheOptions> options, ILogger<StatehouseDistributedCache>? logger = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _options = options?.Value ?? throw new ArgumentNullException(nameof(options));
        ArgumentException.ThrowIfNullOrEmpty(_options.KeyPrefix);
        if (_options.NearCache.Enabled)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(_options.NearCache.MaxEntries, 1, "NearCache.MaxEntries");
            ArgumentOutOfRangeException.ThrowIfLessThan(_options.NearCache.MaxBytes, 1, "NearCache.MaxBytes");
            _near = new NearCache(_client, _options.Keyspace, _options.KeyPrefix, _options.NearCache, _options.TimeProvider, logger);
        }
    }

    /// <summary>What the near cache keeps per key besides the value: the header and the stored entry (for sliding).</summary>
    private sealed record Cached(CacheEnvelope Header, KeyValueEntry Entry);

    public async ValueTask DisposeAsync()
    {
        if (_near is not null)
        {
            await _near.DisposeAsync().ConfigureAwait(false);
        }
    }

    private long NowMs => _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private string StoreKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return _options.KeyPrefix + key;
    }

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (_near is not null && _near.TryGet(key, _client.SessionRevision, out var slot) && slot.Header is Cached cached)
        {
            if (cached.Header.TtlAt(NowMs) is { } remaining && remaining <= TimeSpan.Zero)
            {
                return null;
            }

            if (cached.Header.SlidingMs > 0 && NowMs - slot.SlidAtMs >= Math.Max(1000, cached.Header.SlidingMs / 4))
            {
                slot.SlidAtMs = NowMs;
                await SlideAsync(key, cached.Entry, cached.Header, token).ConfigureAwait(false);
            }

            // The user has now seen this value: later reads (from any replica) must not show an older one.
            _client.ObserveRevision(cached.Entry.ModRevision);
            return slot.Value!;
        }

        var result = await _client.GetAsync(StoreKey(key), new ReadOptions { Keyspace = _options.Keyspace, Consistency = _options.ReadConsistency }, token).ConfigureAwait(false);
        if (result.Entry is not { } entry || !CacheEnvelope.TryUnpack(entry.Value, out var header, out var value))
        {
            return null;
        }

        if (header.TtlAt(NowMs) is { } left && left <= TimeSpan.Zero)
        {
            // Past its absolute expiry; the store removes it within a second (TTLs are whole seconds).
            return null;
        }

        if (header.SlidingMs > 0)
        {
            await SlideAsync(key, entry, header, token).ConfigureAwait(false);
        }

        var bytes = value.ToArray();
        _near?.Put(key, bytes, new Cached(header, entry), result.Revision, header.SlidingMs > 0 ? NowMs : 0);
        return bytes;
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        if (value.Length > _options.MaxValueBytes)
        {
            throw new ArgumentException($"The value is {value.Length} bytes; this cache accepts at most {_options.MaxValueBytes} (StatehouseCacheOptions.MaxValueBytes).", nameof(value));
        }

        var now = NowMs;
        var absolute = options.AbsoluteExpiration?.ToUnixTimeMilliseconds()
            ?? (options.AbsoluteExpirationRelativeToNow is { } relative ? now + (long)relative.TotalMilliseconds : 0);
        if (options.AbsoluteExpirationRelativeToNow is { } r && r <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), r, "The relative expiration must be positive.");
        }

        if (options.SlidingExpiration is { } s && s <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), s, "The sliding expiration must be positive.");
        }

        var header = new CacheEnvelope(absolute, (long)(options.SlidingExpiration?.TotalMilliseconds ?? 0));
        var ttl = header.TtlAt(now);
        if (ttl is { } t && t <= TimeSpan.Zero)
        {
            // Already expired: make sure no older value stays readable.
            await RemoveAsync(key, token).ConfigureAwait(false);
            return;
        }

        var put = await _client.PutAsync(StoreKey(key), CacheEnvelope.Pack(header, value), new PutOptions
        {
            Keyspace = _options.Keyspace,
            Ttl = ttl is { } live ? CacheEnvelope.StoreTtl(live) : null,
        }, token).ConfigureAwait(false);
        _near?.Invalidate(key, put.Revision);
    }

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (_near is not null && _near.Peek(key) is { Header: Cached cached } slot && cached.Header.SlidingMs > 0
            && NowMs - slot.SlidAtMs < Math.Max(1000, cached.Header.SlidingMs / 4))
        {
            // This process restarted the window moments ago (ASP.NET Core sessions refresh after every request).
            return;
        }

        var result = await _client.GetAsync(StoreKey(key), new ReadOptions { Keyspace = _options.Keyspace, Consistency = _options.ReadConsistency }, token).ConfigureAwait(false);
        if (result.Entry is { } entry && CacheEnvelope.TryUnpack(entry.Value, out var header, out _) && header.SlidingMs > 0)
        {
            await SlideAsync(key, entry, header, token).ConfigureAwait(false);
        }
    }

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        var deleted = await _client.DeleteAsync(StoreKey(key), new DeleteOptions { Keyspace = _options.Keyspace }, token).ConfigureAwait(false);
        _near?.Invalidate(key, deleted.Revision);
    }

    /// <summary>Starts the sliding window again from now.</summary>
    private async Task SlideAsync(string key, KeyValueEntry entry, CacheEnvelope header, CancellationToken token)
    {
        if (header.AbsoluteExpiryUnixMs == 0 && entry.Lease != 0)
        {
            // The entry's own lease was granted the sliding window: a keep-alive restarts it.
            try
            {
                await _client.LeaseKeepAliveOnceAsync(entry.Lease, token).ConfigureAwait(false);
                return;
            }
            catch (StatehouseException ex) when (ex.Code == StatehouseErrorCode.NotFound)
            {
                return; // expired meanwhile
            }
        }

        if (header.TtlAt(NowMs) is not { } ttl || ttl <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await _client.PutAsync(StoreKey(key), entry.Value, new PutOptions
            {
                Keyspace = _options.Keyspace,
                Precondition = Precondition.IfModRevision(entry.ModRevision),
                Ttl = CacheEnvelope.StoreTtl(ttl),
            }, token).ConfigureAwait(false);
        }
        catch (StatehouseException ex) when (ex.Code == StatehouseErrorCode.PreconditionFailed)
        {
            // Someone wrote the entry since our read: their write set its own expiration.
        }
    }
}
