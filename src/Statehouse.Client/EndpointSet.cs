using System.Net.Http;
using Grpc.Core;
using Grpc.Net.Client;

namespace Statehouse.Client;

/// <summary>
/// The cluster's endpoints, one channel each, and which one calls go to now.
/// </summary>
/// <remarks>
/// Thread-safe. A failure moves calls to the next endpoint only if the failed endpoint is still the current one, so
/// many concurrent failures on one node rotate once, not once per call. A leader hint moves calls to the leader,
/// adding it when it is not among the configured endpoints (up to <see cref="MaxLearnedEndpoints"/> of them).
/// </remarks>
internal sealed class EndpointSet : IDisposable
{
    /// <summary>A bound on endpoints learned from leader hints, so a confused cluster cannot grow the set forever.</summary>
    internal const int MaxLearnedEndpoints = 16;

    private readonly object _gate = new();
    private readonly List<Endpoint> _endpoints;
    private readonly Func<Uri, Endpoint> _connect;
    private readonly int _configuredCount;
    private int _current;
    private bool _disposed;

    internal EndpointSet(IReadOnlyList<Uri> addresses, Func<Uri, Endpoint> connect)
    {
        if (addresses.Count == 0)
        {
            throw new ArgumentException("At least one endpoint is required.", nameof(addresses));
        }

        _connect = connect;
        _endpoints = addresses.Distinct().Select(connect).ToList();
        _configuredCount = _endpoints.Count;
    }

    internal Endpoint Current
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _endpoints[_current];
            }
        }
    }

    internal IReadOnlyList<Uri> Addresses
    {
        get
        {
            lock (_gate)
            {
                return _endpoints.Select(e => e.Address).ToArray();
            }
        }
    }

    /// <summary>Creates the channel for a plain (h2c) or TLS endpoint.</summary>
    internal static Endpoint Connect(Uri address, StateClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // One connection carries many concurrent streams; more connections open only when the server's
            // stream limit is reached, so one client never queues behind MAX_CONCURRENT_STREAMS.
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = options.ConnectTimeout,
        };
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = options.MaxReceiveMessageBytes,
        });
        return new Endpoint(address, channel);
    }

    /// <summary>Reacts to a failed call on <paramref name="failed"/>: follow a leader hint, or rotate on a transient error.</summary>
    /// <returns>The endpoint calls go to next.</returns>
    internal Endpoint OnFailure(Endpoint failed, StatehouseException error)
    {
        if (error.Code == StatehouseErrorCode.NotLeader && TryParseHint(error.LeaderHint, failed.Address) is { } leader)
        {
            return SwitchTo(leader, failed);
        }

        return error.IsTransient ? Rotate(failed) : Current;
    }

    internal Endpoint Rotate(Endpoint failed)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (ReferenceEquals(_endpoints[_current], failed))
            {
                _current = (_current + 1) % _endpoints.Count;
            }

            return _endpoints[_current];
        }
    }

    /// <summary>Parses a leader hint: a URI, or <c>host:port</c> that takes the scheme of the endpoint that sent it.</summary>
    internal static Uri? TryParseHint(string? hint, Uri from)
    {
        if (string.IsNullOrWhiteSpace(hint))
        {
            return null;
        }

        var text = hint.Contains("://", StringComparison.Ordinal) ? hint : $"{from.Scheme}://{hint}";
        return Uri.TryCreate(text, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : null;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var endpoint in _endpoints)
            {
                endpoint.Dispose();
            }
        }
    }

    private Endpoint SwitchTo(Uri leader, Endpoint failed)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var index = _endpoints.FindIndex(e => UriEquals(e.Address, leader));
            if (index < 0)
            {
                if (_endpoints.Count - _configuredCount >= MaxLearnedEndpoints)
                {
                    // Full: fall back to rotating among what we know.
                    if (ReferenceEquals(_endpoints[_current], failed))
                    {
                        _current = (_current + 1) % _endpoints.Count;
                    }

                    return _endpoints[_current];
                }

                _endpoints.Add(_connect(leader));
                index = _endpoints.Count - 1;
            }

            _current = index;
            return _endpoints[_current];
        }
    }

    private static bool UriEquals(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    // Keeps a CallInvoker-only constructor reachable for tests that bypass HTTP.
    internal static Func<Uri, Endpoint> FromInvokers(Func<Uri, CallInvoker> invokers) => uri => new Endpoint(uri, invokers(uri));
}
