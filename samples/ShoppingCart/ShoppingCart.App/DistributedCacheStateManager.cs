using System.Text.Json;
using Microsoft.Extensions.Caching.Distributed;
using Statehouse.AspNetCore;

namespace ShoppingCart.App;

/// <summary>
/// App state over any <see cref="IDistributedCache"/> (Redis in the benchmark's comparison): values as JSON, no
/// versions, so updates are last-writer-wins read-modify-writes — what a cache offers, and why it is not a state store.
/// </summary>
public sealed class DistributedCacheStateManager(IDistributedCache cache) : IStateManager
{
    public async Task<StateEntry<T>?> GetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        await cache.GetAsync(key, cancellationToken) is { } json ? new StateEntry<T>(key, JsonSerializer.Deserialize<T>(json)!, 0) : null;

    public async Task<long> SetAsync<T>(string key, T value, long? expectedVersion = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        await cache.SetAsync(key, JsonSerializer.SerializeToUtf8Bytes(value), new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl }, cancellationToken);
        return 0;
    }

    public async Task<StateEntry<T>> UpdateAsync<T>(string key, Func<T?, T> update, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var current = await GetAsync<T>(key, cancellationToken);
        var next = update(current is null ? default : current.Value);
        await SetAsync(key, next, null, ttl, cancellationToken);
        return new StateEntry<T>(key, next, 0);
    }

    /// <summary>Not atomic: a cache has no transactions; the writes are applied one after the other.</summary>
    public async Task<long> WriteAtomicallyAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken = default)
    {
        foreach (var w in writes)
        {
            if (w.Value is null)
            {
                await cache.RemoveAsync(w.Key, cancellationToken);
            }
            else
            {
                await cache.SetAsync(w.Key, JsonSerializer.SerializeToUtf8Bytes(w.Value, w.Value.GetType()), new DistributedCacheEntryOptions(), cancellationToken);
            }
        }

        return 0;
    }

    public async Task<bool> DeleteAsync(string key, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        await cache.RemoveAsync(key, cancellationToken);
        return true;
    }
}
