using System.Collections.Concurrent;
using System.Text.Json;
using Statehouse.AspNetCore;
using Statehouse.Client;

namespace ShoppingCart.App;

/// <summary>
/// The anti-pattern, for comparison (<c>--state memory</c>): app state in this process's memory. Fast and simple —
/// and every instance has its own copy, a restart loses it, and a user whose requests land on another instance finds
/// an empty cart.
/// </summary>
public sealed class InMemoryStateManager : IStateManager
{
    private readonly ConcurrentDictionary<string, (byte[] Json, long Version)> _values = new();
    private long _version;

    public Task<StateEntry<T>?> GetAsync<T>(string key, CancellationToken cancellationToken = default) =>
        Task.FromResult(_values.TryGetValue(key, out var v) ? new StateEntry<T>(key, JsonSerializer.Deserialize<T>(v.Json)!, v.Version) : null);

    public Task<long> SetAsync<T>(string key, T value, long? expectedVersion = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var version = Interlocked.Increment(ref _version);
        var json = JsonSerializer.SerializeToUtf8Bytes(value);
        if (expectedVersion is null)
        {
            _values[key] = (json, version);
            return Task.FromResult(version);
        }

        var ok = expectedVersion == 0
            ? _values.TryAdd(key, (json, version))
            : _values.TryGetValue(key, out var current) && current.Version == expectedVersion && _values.TryUpdate(key, (json, version), current);
        return ok ? Task.FromResult(version) : throw new StatehouseException(StatehouseErrorCode.PreconditionFailed, "Version mismatch.");
    }

    public async Task<StateEntry<T>> UpdateAsync<T>(string key, Func<T?, T> update, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var current = await GetAsync<T>(key, cancellationToken);
            var next = update(current is null ? default : current.Value);
            try
            {
                var version = await SetAsync(key, next, current?.Version ?? 0, ttl, cancellationToken);
                return new StateEntry<T>(key, next, version);
            }
            catch (StatehouseException ex) when (ex.Code == StatehouseErrorCode.PreconditionFailed)
            {
            }
        }
    }

    public Task<bool> DeleteAsync(string key, long? expectedVersion = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(_values.TryRemove(key, out _));

    private readonly Lock _atomic = new();

    public Task<long> WriteAtomicallyAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken = default)
    {
        lock (_atomic)
        {
            foreach (var w in writes.Where(w => w.ExpectedVersion is not null))
            {
                var current = _values.TryGetValue(w.Key, out var v) ? v.Version : 0;
                if (current != w.ExpectedVersion)
                {
                    throw new StatehouseException(StatehouseErrorCode.PreconditionFailed, "Version mismatch.");
                }
            }

            var version = Interlocked.Increment(ref _version);
            foreach (var w in writes)
            {
                if (w.Value is null)
                {
                    _values.TryRemove(w.Key, out _);
                }
                else
                {
                    _values[w.Key] = (JsonSerializer.SerializeToUtf8Bytes(w.Value, w.Value.GetType()), version);
                }
            }

            return Task.FromResult(version);
        }
    }
}
