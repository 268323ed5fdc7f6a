using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Wire = Statehouse.V1;

namespace Statehouse.Client;

/// <summary>
/// The Statehouse client: key-value reads and writes, transactions, leases, watches and maintenance over gRPC.
/// </summary>
/// <remarks>
/// <para>
/// Create one per application and share it: it is thread-safe and holds one long-lived HTTP/2 channel per endpoint
/// that multiplexes every concurrent call and watch.
/// </para>
/// <para>
/// Every unary call runs through a retry pipeline: transient failures (<see cref="StatehouseErrorCode.Unavailable"/>,
/// <see cref="StatehouseErrorCode.Timeout"/>, <see cref="StatehouseErrorCode.NotLeader"/>, and transport resets) are
/// retried with jittered exponential backoff, moving to the leader when the server names one and to the next endpoint
/// otherwise. Each mutating call draws its request id once, before the first attempt, so every retry carries the same id
/// and the server applies the mutation at most once.
/// </para>
/// <para>
/// Any node serves any request: writes sent to a follower are forwarded to the leader, and reads are served by the
/// current endpoint at the requested <see cref="ReadConsistency"/>. The client remembers the highest revision it has
/// seen (<see cref="SessionRevision"/>) and sends it with <see cref="ReadConsistency.Session"/> reads, so a session read
/// after a failover to another node still observes this client's writes.
/// </para>
/// </remarks>
public sealed partial class StateClient : IAsyncDisposable, IDisposable
{
    private readonly StateClientOptions _options;
    private readonly EndpointSet _endpoints;
    private readonly ResiliencePipeline _pipeline;
    private readonly RequestIdGenerator _requestIds;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private long _sessionRevision;
    private int _disposed;

    /// <summary>Creates a client. No connection is made until the first call.</summary>
    /// <param name="options">The settings; the client keeps a copy.</param>
    public StateClient(StateClientOptions options)
        : this(options, null)
    {
    }

    /// <summary>Creates a client that logs retries, endpoint changes, watch reconnects and lost leases.</summary>
    /// <param name="options">The settings; the client keeps a copy.</param>
    /// <param name="loggerFactory">Where to log; <see langword="null"/> for nowhere.</param>
    public StateClient(StateClientOptions options, ILoggerFactory? loggerFactory)
        : this(options, loggerFactory, null)
    {
    }

    /// <summary>Creates a client whose endpoints use the given call invokers instead of HTTP channels (tests).</summary>
    internal StateClient(StateClientOptions options, ILoggerFactory? loggerFactory, Func<Uri, CallInvoker>? invokers)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
        _timeProvider = _options.TimeProvider;
        _logger = (ILogger?)loggerFactory?.CreateLogger<StateClient>() ?? NullLogger.Instance;
        _requestIds = new RequestIdGenerator(string.IsNullOrWhiteSpace(_options.ClientId) ? Guid.NewGuid().ToString("N") : _options.ClientId);
        var addresses = _options.Endpoints.Count > 0 ? _options.Endpoints.ToArray() : [StateClientOptions.DefaultEndpoint];
        var connect = invokers is null
            ? (Func<Uri, Endpoint>)(uri => EndpointSet.Connect(uri, _options))
            : EndpointSet.FromInvokers(invokers);
        _endpoints = new EndpointSet(addresses, connect);
        _pipeline = CreatePipeline(_options, _logger);
    }

    /// <summary>The id this client puts in front of its request ids.</summary>
    public string ClientId => _requestIds.ClientId;

    /// <summary>The keyspace used when a call does not name one.</summary>
    public string DefaultKeyspace => _options.DefaultKeyspace;

    /// <summary>
    /// The session token: the highest store revision seen in any response (reads and writes alike), or passed to
    /// <see cref="ObserveRevision"/>. A read served at or after this revision observes every write this client has seen;
    /// <see cref="ReadConsistency.Session"/> reads ask for that.
    /// </summary>
    /// <remarks>Thread-safe and monotonic: it never goes down.</remarks>
    /// <remarks>
    /// Inside a <see cref="BeginSession"/> scope (one end user's session, carried between app instances), this is that
    /// session's token instead: a session read then waits only for what that user has seen.
    /// </remarks>
    public long SessionRevision => SessionScope.Current is { } session ? session.Revision : Volatile.Read(ref _sessionRevision);

    /// <summary>
    /// Starts a causal session for the current async flow — typically one end user's request — from a token the user
    /// carried in (a cookie or header from an earlier response, possibly served by another app instance). Until the
    /// returned scope is disposed, session reads ask for at least <see cref="StatehouseSession.Revision"/>, and every
    /// response raises it; read it back to hand the user the new token.
    /// </summary>
    /// <param name="revision">The token the user carried in (0 = none).</param>
    public StatehouseSession BeginSession(long revision = 0) => SessionScope.Begin(revision);

    /// <summary>The endpoints the client knows, configured and learned from leader hints.</summary>
    public IReadOnlyList<Uri> Endpoints => _endpoints.Addresses;

    /// <summary>The endpoint calls go to now.</summary>
    public Uri CurrentEndpoint => _endpoints.Current.Address;

    internal StateClientOptions Options => _options;

    internal TimeProvider TimeProvider => _timeProvider;

    internal ILogger Logger => _logger;

    internal EndpointSet EndpointSet => _endpoints;

    /// <summary>Closes every channel. Calls in flight fail; watches and keep-alives end.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _endpoints.Dispose();
        }
    }

    /// <summary>Closes every channel. Calls in flight fail; watches and keep-alives end.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Raises <see cref="SessionRevision"/> to <paramref name="revision"/> if it is higher: carries a session token
    /// from another client or process (e.g. one that made a write this client must then read).
    /// </summary>
    /// <param name="revision">A revision from a response (<c>ResponseHeader.revision</c>, the HTTP <c>X-Statehouse-Revision</c> or <c>Statehouse-Session</c> header, a result's <c>Revision</c>).</param>
    public void ObserveRevision(long revision)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        SessionScope.Current?.Observe(revision);
        Monotonic.Raise(ref _sessionRevision, revision);
    }

    /// <summary>Records a response's revision as the session token if it is the highest seen.</summary>
    internal void Observe(Wire.ResponseHeader? header)
    {
        if (header is { Revision: > 0 } h)
        {
            ObserveRevision(h.Revision);
        }
    }

    internal string NextRequestId() => _requestIds.Next();

    internal string Keyspace(string? keyspace) => keyspace ?? _options.DefaultKeyspace;

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>
    /// Runs a unary call through the retry pipeline. The request is built once by the caller (with its request id),
    /// so every attempt sends the same bytes.
    /// </summary>
    internal ValueTask<TResponse> CallAsync<TRequest, TResponse>(
        string operation,
        TRequest request,
        Func<CallInvoker, TRequest, CallOptions, AsyncUnaryCall<TResponse>> call,
        CancellationToken cancellationToken)
        => CallAsync(operation, request, call, _options.RequestTimeout, cancellationToken);

    internal async ValueTask<TResponse> CallAsync<TRequest, TResponse>(
        string operation,
        TRequest request,
        Func<CallInvoker, TRequest, CallOptions, AsyncUnaryCall<TResponse>> call,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var context = ResilienceContextPool.Shared.Get(operation, cancellationToken);
        try
        {
            return await _pipeline.ExecuteAsync(
                ctx => AttemptAsync(operation, request, call, timeout, ctx.CancellationToken),
                context).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Turns a failed call into a <see cref="StatehouseException"/> and moves to another endpoint if it calls for it.</summary>
    internal StatehouseException OnCallFailed(string operation, Endpoint endpoint, RpcException exception)
    {
        var error = StatehouseException.FromRpcException(exception);
        Log.CallFailed(_logger, operation, endpoint.Address, error.Code, error.IsTransient, exception);
        if (Volatile.Read(ref _disposed) == 0)
        {
            var next = _endpoints.OnFailure(endpoint, error);
            if (!ReferenceEquals(next, endpoint))
            {
                Log.EndpointChanged(_logger, endpoint.Address, next.Address);
            }
        }

        return error;
    }

    private async ValueTask<TResponse> AttemptAsync<TRequest, TResponse>(
        string operation,
        TRequest request,
        Func<CallInvoker, TRequest, CallOptions, AsyncUnaryCall<TResponse>> call,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var endpoint = _endpoints.Current;
        var deadline = _timeProvider.GetUtcNow().UtcDateTime + timeout;
        try
        {
            using var pending = call(endpoint.Invoker, request, new CallOptions(deadline: deadline, cancellationToken: cancellationToken));
            return await pending.ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"{operation} was cancelled.", ex, cancellationToken);
        }
        catch (RpcException ex)
        {
            throw OnCallFailed(operation, endpoint, ex);
        }
    }

    private static ResiliencePipeline CreatePipeline(StateClientOptions options, ILogger logger)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is StatehouseException { IsTransient: true }),

                // A node that names the leader is answered at once: the leader is known, waiting would only add latency.
                DelayGenerator = static args => ValueTask.FromResult<TimeSpan?>(
                    args.Outcome.Exception is StatehouseException { Code: StatehouseErrorCode.NotLeader, LeaderHint: not null }
                    && args.AttemptNumber == 0
                        ? TimeSpan.Zero
                        : null),
                OnRetry = args =>
                {
                    Log.Retrying(logger, args.Context.OperationKey ?? "call", args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.Build();
    }
}
