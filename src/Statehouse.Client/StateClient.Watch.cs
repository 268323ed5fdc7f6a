using System.Runtime.CompilerServices;
using Grpc.Core;
using Wire = Statehouse.V1;

namespace Statehouse.Client;

public sealed partial class StateClient
{
    /// <summary>Watches one key. See <see cref="WatchAsync(KeyRange, WatchOptions?, CancellationToken)"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="options">Keyspace, start revision and whether to include previous values.</param>
    /// <param name="cancellationToken">Ends the watch.</param>
    /// <returns>The changes, in revision order.</returns>
    public IAsyncEnumerable<WatchEvent> WatchAsync(string key, WatchOptions? options = null, CancellationToken cancellationToken = default) =>
        WatchAsync(KeyRange.Single(key), options, cancellationToken);

    /// <summary>
    /// Watches a key, a prefix or a range: every change from <see cref="WatchOptions.FromRevision"/> on, in revision order,
    /// each exactly once, until cancelled.
    /// </summary>
    /// <param name="range">What to watch. A <see cref="KeyRangeKind.Between"/> range needs an end key.</param>
    /// <param name="options">Keyspace, start revision and whether to include previous values.</param>
    /// <param name="cancellationToken">Ends the watch.</param>
    /// <returns>The changes, in revision order.</returns>
    /// <remarks>
    /// When the stream breaks (a node restarts, a connection resets, the server ends the stream) the watch reconnects,
    /// to another endpoint if need be, and resumes from the revision after the last one delivered (or the last progress
    /// notification), so the consumer sees no gap and no duplicate. Events at or below that revision are dropped if a
    /// server sends them again. It gives up after <see cref="StateClientOptions.WatchMaxReconnectAttempts"/> reconnects in
    /// a row that receive nothing.
    /// </remarks>
    /// <exception cref="StatehouseException">
    /// <see cref="StatehouseErrorCode.Compacted"/> when the revision to resume from has been compacted (the consumer
    /// must re-read the state and watch again); any other non-transient error the server returns.
    /// </exception>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(
        KeyRange range,
        WatchOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var template = ProtoConvert.WatchRequest(_options.DefaultKeyspace, range, options);
        long delivered;
        if (options is { FromRevision: > 0 })
        {
            delivered = options.FromRevision - 1;
        }
        else
        {
            // "From now" is pinned to a revision before the first stream opens: a reconnect before any event arrives
            // would otherwise start at a later "now" and miss what happened in between.
            delivered = await CurrentRevisionAsync(range, template.Keyspace, cancellationToken).ConfigureAwait(false);
        }

        var failures = 0;
        var pending = new List<WatchEvent>();
        while (true)
        {
            // Events of a revision still arriving in fragments are only delivered once it is whole: a reconnect
            // resumes at that revision and receives all of it again.
            pending.Clear();
            var endpoint = _endpoints.Current;
            var request = template.Clone();
            request.FromRevision = delivered + 1;
            StatehouseException? failure = null;
            using (var call = new Wire.Watch.WatchClient(endpoint.Invoker).Watch(request, new CallOptions(cancellationToken: cancellationToken)))
            {
                while (failure is null)
                {
                    Wire.WatchResponse? response = null;
                    try
                    {
                        if (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                        {
                            response = call.ResponseStream.Current;
                        }
                    }
                    catch (RpcException ex) when (cancellationToken.IsCancellationRequested)
                    {
                        throw new OperationCanceledException("The watch was cancelled.", ex, cancellationToken);
                    }
                    catch (RpcException ex)
                    {
                        failure = OnCallFailed("Watch", endpoint, ex);
                        break;
                    }

                    if (response is null)
                    {
                        // A watch has no natural end: a stream the server closes cleanly is resumed like a broken one.
                        _endpoints.Rotate(endpoint);
                        failure = new StatehouseException(StatehouseErrorCode.Unavailable, "The server ended the watch stream.");
                        break;
                    }

                    failures = 0;
                    Observe(response.Header);
                    if (response.CompactRevision > 0)
                    {
                        throw new StatehouseException(
                            StatehouseErrorCode.Compacted,
                            $"Cannot watch {range} from revision {request.FromRevision}: history is compacted up to {response.CompactRevision}.")
                        {
                            CompactRevision = response.CompactRevision,
                        };
                    }

                    if (response.Progress)
                    {
                        // No events up to the header's revision: resuming after it loses nothing.
                        delivered = Math.Max(delivered, ProtoConvert.Revision(response.Header));
                        options?.OnProgress?.Invoke(delivered);
                        continue;
                    }

                    // A response holds whole revisions (but for a last one marked as a fragment), so everything at or below
                    // the revision delivered before it was already seen (a server replaying after a reconnect).
                    var seen = delivered;
                    var incomplete = response.Fragment && response.Events.Count > 0 ? response.Events[^1].Kv.ModRevision : long.MaxValue;
                    foreach (var e in response.Events)
                    {
                        var watchEvent = ProtoConvert.ToEvent(e);
                        if (watchEvent.Revision <= seen)
                        {
                            continue;
                        }

                        if (watchEvent.Revision >= incomplete)
                        {
                            pending.Add(watchEvent);
                            continue;
                        }

                        foreach (var held in pending)
                        {
                            yield return held;
                        }

                        pending.Clear();
                        delivered = Math.Max(delivered, watchEvent.Revision);
                        yield return watchEvent;
                    }

                    if (!response.Fragment && pending.Count > 0)
                    {
                        // The revision's last fragment carried no event of a later revision.
                        foreach (var held in pending)
                        {
                            yield return held;
                        }

                        delivered = Math.Max(delivered, pending[^1].Revision);
                        pending.Clear();
                    }

                    if (pending.Count == 0)
                    {
                        options?.OnProgress?.Invoke(delivered);
                    }
                }
            }

            if (!failure.IsTransient)
            {
                throw failure;
            }

            failures++;
            if (failures > _options.WatchMaxReconnectAttempts)
            {
                throw new StatehouseException(
                    failure.Code, $"The watch on {range} gave up after {failures - 1} reconnects in a row: {failure.Message}", failure);
            }

            Log.WatchReconnecting(_logger, range.ToString(), delivered + 1, failure.Message);
            var delay = Backoff.Jittered(failures, _options.RetryBaseDelay, _options.RetryMaxDelay);
            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<long> CurrentRevisionAsync(KeyRange range, string keyspace, CancellationToken cancellationToken)
    {
        // A keys-only read of at most one key of the watched range is the cheapest call that names the current revision.
        var probe = range.Kind == KeyRangeKind.Between && range.End.IsEmpty ? KeyRange.Prefix(range.Key) : range;
        var page = await RangeAsync(probe, new RangeOptions { Keyspace = keyspace, Limit = 1, KeysOnly = true }, cancellationToken)
            .ConfigureAwait(false);
        return page.Revision;
    }
}
