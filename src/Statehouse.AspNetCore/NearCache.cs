using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Statehouse.Client;

namespace Statehouse.AspNetCore;

/// <summary>Bounds and lifetime of the in-process near cache (<see cref="StatehouseCacheOptions.NearCache"/>).</summary>
public sealed class NearCacheOptions
{
    /// <summary>Whether reads may be served from this process's memory (default false).</summary>
    public bool Enabled { get; set; }

    /// <summary>Most entries kept (default 10,000); beyond it the least recently used go.</summary>
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>Most value bytes kept (default 64 MiB); beyond it the least recently used go.</summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Longest an entry is served without going back to the store (default 60 s), watch or not.</summary>
    public TimeSpan EntryTtl { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Values of one key prefix kept in this process, invalidated by a Statehouse watch on the prefix, so a write by
/// another app instance evicts them as soon as the watch delivers it. Freshness is exact, not hoped for: the cache
/// knows the revision its watch is complete through, and serves a read only when that covers the reader's session
/// token — so reads stay read-your-writes and monotonic across instances (session consistency), and fall through to
/// the store while the watch lags or is reconnecting. Metrics (meter <c>Statehouse.AspNetCore</c>):
/// <c>statehouse.near_cache.hits</c>, <c>.misses</c>, <c>.evictions</c> (tag <c>reason</c>: invalidated, capacity, expired).
/// </summary>
internal sealed class NearCache : IAsyncDisposable, IDisposable
{
    private static readonly Meter Meter = new("Statehouse.AspNetCore");
    private static readonly Counter<long> Hits = Meter.CreateCounter<long>("statehouse.near_cache.hits");
    private static readonly Counter<long> Misses = Meter.CreateCounter<long>("statehouse.near_cache.misses");
    private static readonly Counter<long> Evictions = Meter.CreateCounter<long>("statehouse.near_cache.evictions");

    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly StateClient _client;
    private readonly NearCacheOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;
    private long _freshThrough;
    private long _seenThrough;
    private long _bytes;
    private int _disposed;

    public NearCache(StateClient client, string? keyspace, string prefix, NearCacheOptions options, TimeProvider time, ILogger? logger)
    {
        _client = client;
        _options = options;
        _time = time;
        _logger = logger;
        _watch = Task.Run(() => WatchAsync(keyspace, prefix));
    }

    /// <summary>The revision through which every change under the prefix has been applied here.</summary>
    public long FreshThrough => Volatile.Read(ref _freshThrough);

    /// <summary>A cached value when it is fresh enough for a reader whose session token is <paramref name="required"/>.</summary>
    public bool TryGet(string key, long required, out Slot slot)
    {
        if (_slots.TryGetValue(key, out slot!) && FreshThrough >= required)
        {
            if (_time.GetTimestamp() <= slot.ExpiresAt)
            {
                slot.Touched = _time.GetTimestamp();
                Hits.Add(1);
                return true;
            }

            Evict(key, slot, "expired");
        }

        Misses.Add(1);
        return false;
    }

    /// <summary>
    /// Keeps a value read from the store at <paramref name="revision"/> — unless a change newer than that read has
    /// already gone by: the watch can overtake a slow read, and a stale value must not slip in behind it. Both sides
    /// publish first and check second (this inserts, then looks at the highest change seen; an invalidation raises
    /// that, then looks for the slot), so one of them always sees the other. No per-key fence is kept, so changes
    /// to keys nobody reads cost no memory.
    /// </summary>
    public void Put(string key, byte[] value, object? header, long revision, long slidAtMs = 0)
    {
        if (revision < Volatile.Read(ref _seenThrough))
        {
            return; // possibly older than a change already seen: not worth the risk
        }

        var slot = new Slot(value, header, revision, _time.GetTimestamp() + (long)(_options.EntryTtl.TotalSeconds * _time.TimestampFrequency)) { Touched = _time.GetTimestamp(), SlidAtMs = slidAtMs };
        Slot? replaced = null;
        var stored = _slots.AddOrUpdate(key, slot, (_, existing) =>
        {
            replaced = existing;
            return existing.Revision > revision ? existing : slot;
        });
        if (!ReferenceEquals(stored, slot))
        {
            return;
        }

        Interlocked.Add(ref _bytes, value.Length - (replaced?.Value.Length ?? 0));
        if (Interlocked.Read(ref _seenThrough) > revision)
        {
            Evict(key, slot, "invalidated");
            return;
        }

        TrimToBounds();
    }

    /// <summary>The cached slot of a key, fresh or not (null when none): for bookkeeping, never for serving a read.</summary>
    public Slot? Peek(string key) => _slots.TryGetValue(key, out var slot) ? slot : null;

    /// <summary>Forgets a key this process changed itself (its next read goes to the store).</summary>
    public void Invalidate(string key, long revision) => Invalidated(key, revision);

    private void Invalidated(string key, long revision)
    {
        Monotonic.Raise(ref _seenThrough, revision);
        if (_slots.TryGetValue(key, out var slot) && slot.Revision < revision)
        {
            Evict(key, slot, "invalidated");
        }
    }

    /// <summary>Drops a slot (if it is still the key's) for <paramref name="reason"/>: invalidated, capacity or expired.</summary>
    public void Evict(string key, Slot slot, string reason)
    {
        if (_slots.TryRemove(new KeyValuePair<string, Slot>(key, slot)))
        {
            Interlocked.Add(ref _bytes, -slot.Value.Length);
            Evictions.Add(1, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    /// <summary>Over a bound: drop the least recently used tenth.</summary>
    private void TrimToBounds()
    {
        if (_slots.Count <= _options.MaxEntries && Interlocked.Read(ref _bytes) <= _options.MaxBytes)
        {
            return;
        }

        var victims = _slots.OrderBy(s => s.Value.Touched).Take(Math.Max(1, _slots.Count / 10)).ToList();
        foreach (var (key, slot) in victims)
        {
            Evict(key, slot, "capacity");
        }
    }

    private async Task WatchAsync(string? keyspace, string prefix)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var options = new WatchOptions { Keyspace = keyspace, ProgressInterval = TimeSpan.FromMilliseconds(200), OnProgress = r => Advance(r) };
                await foreach (var change in _client.WatchAsync(KeyRange.Prefix(prefix), options, _stop.Token).ConfigureAwait(false))
                {
                    Invalidated(change.Entry.KeyAsString()[prefix.Length..], change.Revision);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is StatehouseException or InvalidOperationException)
            {
                // Lost the watch (e.g. compacted past us): everything cached may be stale. Start over empty.
                _logger?.LogWarning(ex, "Near cache watch on '{Prefix}' lost; clearing the cache and watching again", prefix);
                _slots.Clear();
                Interlocked.Exchange(ref _bytes, 0);
                await Task.Delay(TimeSpan.FromMilliseconds(500), _time, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private void Advance(long revision) => Monotonic.Raise(ref _freshThrough, revision);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _watch.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    /// <summary>Stops the watch without blocking on it; its token source is disposed once the watch has ended.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _watch.ContinueWith(static (_, stop) => ((CancellationTokenSource)stop!).Dispose(), _stop, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>A cached value with the revision it was read at.</summary>
    internal sealed record Slot(byte[] Value, object? Header, long Revision, long ExpiresAt)
    {
        public long Touched { get; set; }

        /// <summary>When this process last restarted the entry's sliding window (Unix ms).</summary>
        public long SlidAtMs { get; set; }
    }
}
