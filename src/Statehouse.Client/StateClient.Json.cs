using System.Text.Json;

namespace Statehouse.Client;

public sealed partial class StateClient
{
    /// <summary>Reads a key and deserializes its value from JSON.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="options">Keyspace and revision.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The value with the key's metadata, or <see langword="null"/> when the key does not exist.</returns>
    /// <exception cref="JsonException">The stored value is not JSON for <typeparamref name="T"/>.</exception>
    public async ValueTask<TypedEntry<T>?> GetAsync<T>(string key, ReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await GetAsync(key, options, cancellationToken).ConfigureAwait(false);
        return result.Entry is null ? null : ToTyped<T>(key, result.Entry);
    }

    /// <summary>Serializes a value to JSON and writes it.</summary>
    /// <typeparam name="T">The value's type; not a byte buffer (use the byte overloads for raw bytes).</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">Keyspace, precondition, lease or TTL.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The revision of the write.</returns>
    public ValueTask<PutResult> PutAsync<T>(string key, T value, PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        // Overload resolution prefers this method for Memory<byte> and ArraySegment<byte>; JSON-encoding a buffer as
        // base64 is never what the caller meant.
        if (value is Memory<byte> or ArraySegment<byte> or ReadOnlyMemory<byte>)
        {
            throw new ArgumentException("Pass raw bytes as ReadOnlyMemory<byte> or byte[] to the non-generic PutAsync.", nameof(value));
        }

        return PutAsync(key, Serialize(value), options, cancellationToken);
    }

    /// <summary>
    /// Read-modify-write with optimistic concurrency: reads the key, applies <paramref name="update"/>, and writes the
    /// result only if the key has not changed since the read (IfModRevision, or IfAbsent when it was missing). On a
    /// conflict it waits a jittered backoff and starts over, at most <see cref="UpdateOptions.MaxAttempts"/> times.
    /// </summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="update">Computes the new value from the current one (default when the key is missing). May run
    /// several times, so it must have no side effects.</param>
    /// <param name="options">Keyspace, attempt bound, lease or TTL.</param>
    /// <param name="cancellationToken">Cancels the loop.</param>
    /// <returns>The value written, its revision and how many rounds it took.</returns>
    /// <exception cref="StatehouseException">
    /// <see cref="StatehouseErrorCode.PreconditionFailed"/> when every attempt lost a race.
    /// </exception>
    public async ValueTask<UpdateResult<T>> UpdateAsync<T>(
        string key,
        Func<T?, T> update,
        UpdateOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(update);
        options ??= new UpdateOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1, nameof(options.MaxAttempts));

        // Linearizable whatever the client's default: from a lagging replica every round would read a stale
        // revision and lose its compare-and-set.
        var readOptions = new ReadOptions { Keyspace = options.Keyspace, Consistency = ReadConsistency.Linearizable };
        StatehouseException? conflict = null;
        for (var attempt = 1; attempt <= options.MaxAttempts; attempt++)
        {
            var current = await GetAsync(key, readOptions, cancellationToken).ConfigureAwait(false);
            var currentValue = current.Entry is null ? default : Deserialize<T>(current.Entry.Value);
            var next = update(currentValue);
            var putOptions = new PutOptions
            {
                Keyspace = options.Keyspace,
                Precondition = current.Entry is null ? Precondition.IfAbsent : Precondition.IfModRevision(current.Entry.ModRevision),
                Lease = options.Lease,
                Ttl = options.Ttl,
            };
            try
            {
                var put = await PutAsync(key, Serialize(next), putOptions, cancellationToken).ConfigureAwait(false);
                return new UpdateResult<T>(next, put.Revision, attempt);
            }
            catch (StatehouseException ex) when (ex.Code == StatehouseErrorCode.PreconditionFailed)
            {
                conflict = ex;
            }

            if (attempt < options.MaxAttempts)
            {
                var delay = Backoff.Jittered(attempt, _options.RetryBaseDelay, _options.RetryMaxDelay);
                await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new StatehouseException(
            StatehouseErrorCode.PreconditionFailed,
            $"Update of '{key}' lost {options.MaxAttempts} races in a row; giving up.",
            conflict)
        {
            CurrentRevision = conflict?.CurrentRevision,
        };
    }

    /// <summary>The JSON settings of the typed API (<see cref="StateClientOptions.JsonSerializerOptions"/>), for code that reads raw values as JSON.</summary>
    public JsonSerializerOptions JsonOptions => _options.JsonSerializerOptions;

    private byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, _options.JsonSerializerOptions);

    private T? Deserialize<T>(ReadOnlyMemory<byte> json) => JsonSerializer.Deserialize<T>(json.Span, _options.JsonSerializerOptions);

    private TypedEntry<T> ToTyped<T>(string key, KeyValueEntry entry) =>
        new(key, Deserialize<T>(entry.Value)!, entry.CreateRevision, entry.ModRevision, entry.Version, entry.Lease);
}
