using Microsoft.Extensions.Options;
using Statehouse.Client;

namespace Statehouse.AspNetCore;

/// <summary>Where app state lives and how it is read.</summary>
public sealed class StateManagerOptions
{
    /// <summary>Keyspace of the app's state (default: the client's).</summary>
    public string? Keyspace { get; set; }

    /// <summary>Prefix of every key (default <c>app/</c>).</summary>
    public string KeyPrefix { get; set; } = "app/";

    /// <summary>
    /// Read consistency (default Session: inside <see cref="SessionTokenMiddleware"/> a user reads their own writes
    /// from any instance and any replica; outside a session scope, this instance's writes).
    /// </summary>
    public ReadConsistency ReadConsistency { get; set; } = ReadConsistency.Session;

    /// <summary>Rounds an update may lose to concurrent writers before it gives up (default 32).</summary>
    public int MaxUpdateAttempts { get; set; } = UpdateOptions.DefaultMaxAttempts;

    /// <summary>
    /// The in-process near cache for reads (off by default): values kept in memory and invalidated by a watch on the
    /// prefix; a read is served from memory only when the watch covers the reader's session token (session
    /// consistency: read-your-writes and monotonic reads per user across instances).
    /// </summary>
    public NearCacheOptions NearCache { get; } = new();
}

/// <summary>
/// One write of an atomic group (<see cref="IStateManager.WriteAtomicallyAsync"/>): a value to store (null = delete the
/// key), optionally only if the key is still at <see cref="ExpectedVersion"/> (0 = only if absent).
/// </summary>
public sealed record StateWrite(string Key, object? Value, long? ExpectedVersion = null);

/// <summary>A typed value and its version (the ETag: the store's mod revision).</summary>
public sealed record StateEntry<T>(string Key, T Value, long Version);

/// <summary>
/// Typed app state in Statehouse — carts, orders, profiles — as JSON values with optimistic concurrency: read a value
/// with its version, write it back only if nobody changed it, or let <see cref="UpdateAsync{T}"/> run the
/// read-modify-write loop for you. Stateless app instances share it through the store.
/// </summary>
public interface IStateManager
{
    /// <summary>The value under <paramref name="key"/>, or null when there is none.</summary>
    Task<StateEntry<T>?> GetAsync<T>(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes <paramref name="value"/>. With <paramref name="expectedVersion"/> the write happens only if the value is
    /// still at that version (0 = only if absent); otherwise <see cref="StatehouseException"/> PreconditionFailed.
    /// </summary>
    Task<long> SetAsync<T>(string key, T value, long? expectedVersion = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Read-modify-write: applies <paramref name="update"/> to the current value (default when absent) and writes the
    /// result if nobody wrote in between, retrying with backoff otherwise. <paramref name="update"/> may run several
    /// times and must have no side effects.
    /// </summary>
    Task<StateEntry<T>> UpdateAsync<T>(string key, Func<T?, T> update, TimeSpan? ttl = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the value (only at <paramref name="expectedVersion"/> if given); false when there was none.</summary>
    Task<bool> DeleteAsync(string key, long? expectedVersion = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies every write or none (one Statehouse transaction): if any key is not at its expected version, nothing is
    /// written and <see cref="StatehouseException"/> PreconditionFailed is thrown. Returns the revision of the writes.
    /// </summary>
    Task<long> WriteAtomicallyAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken = default);
}

/// <inheritdoc />
public sealed class StateManager : IStateManager, IAsyncDisposable, IDisposable
{
    private readonly StateClient client;
    private readonly StateManagerOptions _options;
    private readonly NearCache? _near;

    public StateManager(StateClient client, IOptions<StateManagerOptions> options)
    {
        this.client = client ?? throw new ArgumentNullException(nameof(client));
        _options = options.Value;
        if (_options.NearCache.Enabled)
        {
            _near = new NearCache(client, _options.Keyspace, _options.KeyPrefix, _options.NearCache, TimeProvider.System, null);
        }
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

    private string Key(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return _options.KeyPrefix + key;
    }

    public async Task<StateEntry<T>?> GetAsync<T>(string key, CancellationToken cancellationToken = default)
    {
        if (_near is null)
        {
            var entry = await client.GetAsync<T>(Key(key), new ReadOptions { Keyspace = _options.Keyspace, Consistency = _options.ReadConsistency }, cancellationToken).ConfigureAwait(false);
            return entry is null ? null : new StateEntry<T>(key, entry.Value, entry.ModRevision);
        }

        if (_near.TryGet(key, client.SessionRevision, out var slot) && slot.Header is long version)
        {
            client.ObserveRevision(version);
            return new StateEntry<T>(key, Deserialize<T>(slot.Value!), version);
        }

        var read = await client.GetAsync(Key(key), new ReadOptions { Keyspace = _options.Keyspace, Consistency = _options.ReadConsistency }, cancellationToken).ConfigureAwait(false);
        if (read.Entry is not { } found)
        {
            return null;
        }

        var bytes = found.Value.ToArray();
        _near.Put(key, bytes, found.ModRevision, read.Revision);
        return new StateEntry<T>(key, Deserialize<T>(bytes), found.ModRevision);
    }

    private T Deserialize<T>(byte[] json) => System.Text.Json.JsonSerializer.Deserialize<T>(json, client.JsonOptions)!;

    public async Task<long> SetAsync<T>(string key, T value, long? expectedVersion = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var precondition = expectedVersion switch
        {
            null => Precondition.None,
            0 => Precondition.IfAbsent,
            var v => Precondition.IfModRevision(v.Value),
        };
        var put = await client.PutAsync(Key(key), value, new PutOptions { Keyspace = _options.Keyspace, Precondition = precondition, Ttl = ttl }, cancellationToken).ConfigureAwait(false);
        _near?.Invalidate(key, put.Revision);
        return put.Revision;
    }

    public async Task<StateEntry<T>> UpdateAsync<T>(string key, Func<T?, T> update, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var result = await client.UpdateAsync(Key(key), update, new UpdateOptions { Keyspace = _options.Keyspace, MaxAttempts = _options.MaxUpdateAttempts, Ttl = ttl }, cancellationToken).ConfigureAwait(false);
        _near?.Invalidate(key, result.Revision);
        return new StateEntry<T>(key, result.Value, result.Revision);
    }

    public async Task<long> WriteAtomicallyAsync(IReadOnlyList<StateWrite> writes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0)
        {
            throw new ArgumentException("At least one write.", nameof(writes));
        }

        var txn = client.Txn(_options.Keyspace);
        foreach (var w in writes)
        {
            var key = Key(w.Key);
            if (w.ExpectedVersion is { } v)
            {
                txn.If(v == 0 ? Compare.Absent(key, _options.Keyspace) : Compare.ModRevision(key, _options.Keyspace) == v);
            }

            txn.Then(w.Value is null
                ? Op.Delete(key, new DeleteOptions { Keyspace = _options.Keyspace })
                : Op.Put(key, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(w.Value, w.Value.GetType(), client.JsonOptions), new PutOptions { Keyspace = _options.Keyspace }));
        }

        var result = await txn.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new StatehouseException(StatehouseErrorCode.PreconditionFailed, "A key of the atomic write was not at its expected version; nothing was written.");
        }

        foreach (var w in writes)
        {
            _near?.Invalidate(w.Key, result.Revision);
        }

        return result.Revision;
    }

    public async Task<bool> DeleteAsync(string key, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        try
        {
            var deleted = await client.DeleteAsync(Key(key), new DeleteOptions
            {
                Keyspace = _options.Keyspace,
                Precondition = expectedVersion is { } v ? Precondition.IfModRevision(v) : Precondition.None,
            }, cancellationToken).ConfigureAwait(false);
            _near?.Invalidate(key, deleted.Revision);
            return deleted.Deleted > 0;
        }
        catch (StatehouseException ex) when (ex.Code == StatehouseErrorCode.NotFound)
        {
            return false;
        }
    }
}
