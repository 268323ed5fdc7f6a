using Grpc.Core;
using Wire = Statehouse.V1;

namespace Statehouse.Client;

/// <summary>
/// Keeps one lease alive in the background until disposed, on the bidirectional keep-alive stream: one renewal every
/// TTL/3, reconnecting (to another endpoint if need be) when the stream breaks.
/// </summary>
/// <remarks>
/// The lease is declared lost, and <see cref="Lost"/> completes, when the server says it no longer exists, when it
/// answers with a non-transient error, or when no renewal succeeded before the lease's last known expiry. A lost
/// lease is not renewed again. Disposing stops renewing (the lease then expires on its own unless revoked) and
/// cancels <see cref="Lost"/> if it has not completed.
/// </remarks>
public sealed class LeaseKeepAlive : IAsyncDisposable
{
    private readonly StateClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _lostSignal = new();
    private readonly TaskCompletionSource<StatehouseException> _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;
    private long _ttlTicks;
    private long _expiresAtTicks;
    private int _disposed;
    private int _lostDeclared;

    private LeaseKeepAlive(StateClient client, long leaseId, TimeSpan ttl)
    {
        _client = client;
        LeaseId = leaseId;
        _ttlTicks = ttl.Ticks;
        _expiresAtTicks = (client.TimeProvider.GetUtcNow() + ttl).UtcTicks;
    }

    /// <summary>The lease being kept alive.</summary>
    public long LeaseId { get; }

    /// <summary>The TTL the server reported on the last renewal.</summary>
    public TimeSpan Ttl => TimeSpan.FromTicks(Interlocked.Read(ref _ttlTicks));

    /// <summary>When the lease expires unless renewed again, by this client's clock.</summary>
    public DateTimeOffset ExpiresAt => new(Interlocked.Read(ref _expiresAtTicks), TimeSpan.Zero);

    /// <summary>Completes with the reason when the lease is lost; cancelled when this object is disposed first.</summary>
    public Task<StatehouseException> Lost => _lost.Task;

    /// <summary>Cancelled when the lease is lost: pass it to work that must stop when the lease goes.</summary>
    public CancellationToken LostToken => _lostSignal.Token;

    /// <summary>Stops renewing and waits for the background loop to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop ends by cancellation.
        }

        _lost.TrySetCanceled();
        _stop.Dispose();
    }

    internal static LeaseKeepAlive Start(StateClient client, long leaseId, TimeSpan ttl)
    {
        var keepAlive = new LeaseKeepAlive(client, leaseId, ttl);
        keepAlive._loop = Task.Run(() => keepAlive.RunAsync(keepAlive._stop.Token));
        return keepAlive;
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            var endpoint = _client.EndpointSet.Current;
            StatehouseException error;
            try
            {
                error = await RenewOnStreamAsync(endpoint, () => failures = 0, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException ex)
            {
                error = _client.OnCallFailed("LeaseKeepAlive", endpoint, ex);
            }
            catch (ObjectDisposedException)
            {
                // The client was disposed under us.
                return;
            }

            if (Volatile.Read(ref _lostDeclared) != 0)
            {
                return;
            }

            if (!error.IsTransient)
            {
                DeclareLost(error);
                return;
            }

            var now = _client.TimeProvider.GetUtcNow();
            if (now >= ExpiresAt)
            {
                DeclareLost(new StatehouseException(StatehouseErrorCode.Timeout, $"Lease {LeaseId} could not be renewed before it expired.", error));
                return;
            }

            Log.KeepAliveFailed(_client.Logger, LeaseId, error.Code);
            failures++;
            var delay = Backoff.Jittered(failures, _client.Options.RetryBaseDelay, _client.Options.RetryMaxDelay);
            var untilExpiry = ExpiresAt - now;
            await Task.Delay(delay < untilExpiry ? delay : untilExpiry, _client.TimeProvider, stop).ConfigureAwait(false);
        }
    }

    /// <summary>Renews on one stream until it breaks or the lease is lost.</summary>
    /// <returns>Why the stream ended (an RPC failure propagates as <see cref="RpcException"/>).</returns>
    private async Task<StatehouseException> RenewOnStreamAsync(Endpoint endpoint, Action onRenewed, CancellationToken stop)
    {
        using var call = new Wire.Lease.LeaseClient(endpoint.Invoker).KeepAlive(cancellationToken: stop);
        while (true)
        {
            // Bound the wait for each answer, so a node that accepts the stream but never answers is left in time.
            using var timeout = new CancellationTokenSource(_client.Options.RequestTimeout, _client.TimeProvider);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
            bool answered;
            try
            {
                await call.RequestStream.WriteAsync(new Wire.LeaseKeepAliveRequest { Id = LeaseId }, attempt.Token).ConfigureAwait(false);
                answered = await call.ResponseStream.MoveNext(attempt.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (timeout.IsCancellationRequested && !stop.IsCancellationRequested
                && ex is OperationCanceledException or RpcException)
            {
                return new StatehouseException(StatehouseErrorCode.Timeout, $"Keep-alive of lease {LeaseId} got no answer in time.", ex);
            }

            if (!answered)
            {
                _client.EndpointSet.Rotate(endpoint);
                return new StatehouseException(StatehouseErrorCode.Unavailable, "The server ended the keep-alive stream.");
            }

            var response = call.ResponseStream.Current;
            _client.Observe(response.Header);
            if (response.TtlSeconds <= 0)
            {
                var gone = new StatehouseException(StatehouseErrorCode.NotFound, $"Lease {LeaseId} expired or was revoked.");
                DeclareLost(gone);
                return gone;
            }

            var ttl = TimeSpan.FromSeconds(response.TtlSeconds);
            Interlocked.Exchange(ref _ttlTicks, ttl.Ticks);
            Interlocked.Exchange(ref _expiresAtTicks, (_client.TimeProvider.GetUtcNow() + ttl).UtcTicks);
            onRenewed();
            await Task.Delay(ttl / 3, _client.TimeProvider, stop).ConfigureAwait(false);
        }
    }

    private void DeclareLost(StatehouseException reason)
    {
        // Cancel the token before completing the task: whoever awaits Lost must find LostToken already cancelled.
        if (Interlocked.Exchange(ref _lostDeclared, 1) == 0)
        {
            Log.LeaseLost(_client.Logger, LeaseId, reason.Message);
            _lostSignal.Cancel();
            _lost.TrySetResult(reason);
        }
    }
}
