using System.Runtime.CompilerServices;
using Google.Protobuf;
using Wire = Statehouse.V1;

namespace Statehouse.Client;

public sealed partial class StateClient
{
    /// <summary>Reads one key.</summary>
    /// <param name="key">The key, UTF-8 encoded on the wire.</param>
    /// <param name="options">Keyspace, revision and consistency; <see langword="null"/> for the latest value in the default keyspace, read at <see cref="StateClientOptions.DefaultReadConsistency"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entry (or none) and the revision the answer reflects.</returns>
    public ValueTask<GetResult> GetAsync(string key, ReadOptions? options = null, CancellationToken cancellationToken = default) =>
        GetCoreAsync(ProtoConvert.Bytes(key), options, cancellationToken);

    /// <summary>Reads one key.</summary>
    /// <param name="key">The key.</param>
    /// <param name="options">Keyspace, revision and consistency; <see langword="null"/> for the latest value in the default keyspace, read at <see cref="StateClientOptions.DefaultReadConsistency"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entry (or none) and the revision the answer reflects.</returns>
    public ValueTask<GetResult> GetAsync(ReadOnlyMemory<byte> key, ReadOptions? options = null, CancellationToken cancellationToken = default) =>
        GetCoreAsync(ProtoConvert.Bytes(key), options, cancellationToken);

    /// <summary>Reads several keys at one revision.</summary>
    /// <param name="keys">The keys, UTF-8 encoded on the wire.</param>
    /// <param name="options">Keyspace, revision and consistency.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The keys that exist, in request order.</returns>
    public ValueTask<MultiGetResult> GetManyAsync(IEnumerable<string> keys, ReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return GetManyCoreAsync(keys.Select(ProtoConvert.Bytes), options, cancellationToken);
    }

    /// <summary>Reads several keys at one revision.</summary>
    /// <param name="keys">The keys.</param>
    /// <param name="options">Keyspace, revision and consistency.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The keys that exist, in request order.</returns>
    public ValueTask<MultiGetResult> GetManyAsync(IEnumerable<ReadOnlyMemory<byte>> keys, ReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return GetManyCoreAsync(keys.Select(ProtoConvert.Bytes), options, cancellationToken);
    }

    /// <summary>Reads one page of a range.</summary>
    /// <param name="range">A prefix or [start, end); a single key reads [key, key + 0x00).</param>
    /// <param name="options">Keyspace, page size, keys-only, count-only, revision, consistency and the continuation of the previous page.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page, with a continuation token when more follow.</returns>
    public async ValueTask<RangePage> RangeAsync(KeyRange range, RangeOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = ProtoConvert.RangeRequest(_options.DefaultKeyspace, range, options);
        request.Read = ReadOptionsFor(options?.Consistency, options?.MaxStaleness, options?.MinRevision ?? 0);
        var response = await CallAsync(
            "Range", request, static (invoker, r, o) => new Wire.KV.KVClient(invoker).RangeAsync(r, o), cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return ProtoConvert.ToResult(response);
    }

    /// <summary>Reads a whole range page by page, following continuation tokens; every page is at the revision of the first.</summary>
    /// <param name="range">A prefix or [start, end).</param>
    /// <param name="options">Keyspace, page size, keys-only, revision and consistency; count-only is not allowed.</param>
    /// <param name="cancellationToken">Cancels the scan.</param>
    /// <returns>The entries in key order.</returns>
    public async IAsyncEnumerable<KeyValueEntry> ScanAsync(
        KeyRange range,
        RangeOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var pageOptions = options ?? new RangeOptions();
        if (pageOptions.CountOnly)
        {
            throw new ArgumentException("A scan returns entries; use RangeAsync with CountOnly to count.", nameof(options));
        }

        while (true)
        {
            var page = await RangeAsync(range, pageOptions, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.Entries)
            {
                yield return entry;
            }

            // A page that claims more but gives no token would loop forever on the first page.
            if (!page.More || page.Continuation is null)
            {
                yield break;
            }

            pageOptions = pageOptions with { Continuation = page.Continuation };
        }
    }

    /// <summary>Writes a UTF-8 value under a UTF-8 key.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">Keyspace, precondition, lease or TTL, and whether to return the previous value.</param>
    /// <param name="cancellationToken">Cancels the call (the write may still have been applied).</param>
    /// <returns>The revision of the write.</returns>
    /// <exception cref="StatehouseException">With <see cref="StatehouseErrorCode.PreconditionFailed"/> when the precondition does not hold.</exception>
    public ValueTask<PutResult> PutAsync(string key, string value, PutOptions? options = null, CancellationToken cancellationToken = default) =>
        PutCoreAsync(ProtoConvert.Bytes(key), ProtoConvert.Bytes(value), options, cancellationToken);

    /// <summary>Writes a value under a UTF-8 key.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value's bytes (copied).</param>
    /// <param name="options">Keyspace, precondition, lease or TTL, and whether to return the previous value.</param>
    /// <param name="cancellationToken">Cancels the call (the write may still have been applied).</param>
    /// <returns>The revision of the write.</returns>
    public ValueTask<PutResult> PutAsync(string key, byte[] value, PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return PutCoreAsync(ProtoConvert.Bytes(key), ProtoConvert.Bytes(value), options, cancellationToken);
    }

    /// <summary>Writes a value under a UTF-8 key.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value's bytes (copied).</param>
    /// <param name="options">Keyspace, precondition, lease or TTL, and whether to return the previous value.</param>
    /// <param name="cancellationToken">Cancels the call (the write may still have been applied).</param>
    /// <returns>The revision of the write.</returns>
    public ValueTask<PutResult> PutAsync(string key, ReadOnlyMemory<byte> value, PutOptions? options = null, CancellationToken cancellationToken = default) =>
        PutCoreAsync(ProtoConvert.Bytes(key), ProtoConvert.Bytes(value), options, cancellationToken);

    /// <summary>Writes a value under a key.</summary>
    /// <param name="key">The key's bytes (copied).</param>
    /// <param name="value">The value's bytes (copied).</param>
    /// <param name="options">Keyspace, precondition, lease or TTL, and whether to return the previous value.</param>
    /// <param name="cancellationToken">Cancels the call (the write may still have been applied).</param>
    /// <returns>The revision of the write.</returns>
    public ValueTask<PutResult> PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, PutOptions? options = null, CancellationToken cancellationToken = default) =>
        PutCoreAsync(ProtoConvert.Bytes(key), ProtoConvert.Bytes(value), options, cancellationToken);

    /// <summary>Deletes one key.</summary>
    /// <param name="key">The key.</param>
    /// <param name="options">Keyspace, precondition, and whether to return the deleted entry.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many keys were deleted (0 or 1).</returns>
    public ValueTask<DeleteResult> DeleteAsync(string key, DeleteOptions? options = null, CancellationToken cancellationToken = default) =>
        DeleteAsync(KeyRange.Single(key), options, cancellationToken);

    /// <summary>Deletes one key.</summary>
    /// <param name="key">The key.</param>
    /// <param name="options">Keyspace, precondition, and whether to return the deleted entry.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many keys were deleted (0 or 1).</returns>
    public ValueTask<DeleteResult> DeleteAsync(ReadOnlyMemory<byte> key, DeleteOptions? options = null, CancellationToken cancellationToken = default) =>
        DeleteAsync(KeyRange.Single(key), options, cancellationToken);

    /// <summary>Deletes a key, every key with a prefix, or every key in [start, end).</summary>
    /// <param name="range">What to delete; <see cref="KeyRange.All"/> empties the keyspace.</param>
    /// <param name="options">Keyspace, precondition, and whether to return the deleted entries.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many keys were deleted.</returns>
    public async ValueTask<DeleteResult> DeleteAsync(KeyRange range, DeleteOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = ProtoConvert.DeleteRequest(_options.DefaultKeyspace, range, options);
        request.RequestId = NextRequestId();
        var response = await CallAsync(
            "Delete", request, static (invoker, r, o) => new Wire.KV.KVClient(invoker).DeleteAsync(r, o), cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return ProtoConvert.ToResult(response);
    }

    /// <summary>Adds <paramref name="delta"/> to a counter (a missing key counts as 0).</summary>
    /// <param name="key">The counter's key.</param>
    /// <param name="delta">What to add; may be negative.</param>
    /// <param name="keyspace">The keyspace; <see langword="null"/> for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new value.</returns>
    public ValueTask<IncrementResult> IncrementAsync(string key, long delta = 1, string? keyspace = null, CancellationToken cancellationToken = default) =>
        IncrementCoreAsync(ProtoConvert.Bytes(key), delta, keyspace, cancellationToken);

    /// <summary>Adds <paramref name="delta"/> to a counter (a missing key counts as 0).</summary>
    /// <param name="key">The counter's key.</param>
    /// <param name="delta">What to add; may be negative.</param>
    /// <param name="keyspace">The keyspace; <see langword="null"/> for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new value.</returns>
    public ValueTask<IncrementResult> IncrementAsync(ReadOnlyMemory<byte> key, long delta = 1, string? keyspace = null, CancellationToken cancellationToken = default) =>
        IncrementCoreAsync(ProtoConvert.Bytes(key), delta, keyspace, cancellationToken);

    /// <summary>
    /// The read options of one request, built once before the retry loop: every attempt, on whichever endpoint is
    /// current, asks for the same freshness and carries the same session token.
    /// </summary>
    private Wire.ReadOptions ReadOptionsFor(ReadConsistency? consistency, TimeSpan? maxStaleness, long minRevision) =>
        ProtoConvert.ReadOptions(consistency ?? _options.DefaultReadConsistency, maxStaleness, minRevision, SessionRevision);

    private async ValueTask<GetResult> GetCoreAsync(ByteString key, ReadOptions? options, CancellationToken cancellationToken)
    {
        var request = new Wire.GetRequest
        {
            Keyspace = Keyspace(options?.Keyspace),
            Key = key,
            Revision = ProtoConvert.ReadRevision(options?.Revision ?? 0),
            Read = ReadOptionsFor(options?.Consistency, options?.MaxStaleness, options?.MinRevision ?? 0),
        };
        var response = await CallAsync(
            "Get", request, static (invoker, r, o) => new Wire.KV.KVClient(invoker).GetAsync(r, o), cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return ProtoConvert.ToResult(response);
    }

    private async ValueTask<MultiGetResult> GetManyCoreAsync(IEnumerable<ByteString> keys, ReadOptions? options, CancellationToken cancellationToken)
    {
        var request = new Wire.MultiGetRequest
        {
            Keyspace = Keyspace(options?.Keyspace),
            Revision = ProtoConvert.ReadRevision(options?.Revision ?? 0),
            Read = ReadOptionsFor(options?.Consistency, options?.MaxStaleness, options?.MinRevision ?? 0),
        };
        request.Keys.AddRange(keys);
        var response = await CallAsync(
            "MultiGet", request, static (invoker, r, o) => new Wire.KV.KVClient(invoker).MultiGetAsync(r, o), cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return new MultiGetResult(ProtoConvert.ToEntries(response.Kvs), ProtoConvert.Revision(response.Header))
        {
            ServedBy = ProtoConvert.NodeId(response.Header),
        };
    }

    private async ValueTask<PutResult> PutCoreAsync(ByteString key, ByteString value, PutOptions? options, CancellationToken cancellationToken)
    {
        var request = ProtoConvert.PutRequest(_options.DefaultKeyspace, key, value, options);

        // Drawn once, before the retry loop: every attempt carries the same id, so the server applies the put once.
        request.RequestId = NextRequestId();
        var response = await CallAsync(
            "Put", request, static (invoker, r, o) => new Wire.KV.KVClient(invoker).PutAsync(r, o), cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return ProtoConvert.ToResult(response);
    }

    private async ValueTask<IncrementResult> IncrementCoreAsync(ByteString key, long delta, string? keyspace, CancellationToken cancellationToken)
    {
        var request = new Wire.IncrementRequest { Keyspace = Keyspace(keyspace), Key = key, Delta = delta, RequestId = NextRequestId() };
        var response = await CallAsync(
            "Increment", request, static (invoker, r, o) => new Wire.KV.KVClient(invoker).IncrementAsync(r, o), cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return ProtoConvert.ToResult(response);
    }
}
