using System.Text.Json;

namespace Statehouse.Client;

/// <summary>Settings of a <see cref="StateClient"/>. Every limit has a default that suits a small cluster on a LAN.</summary>
public sealed class StateClientOptions
{
    /// <summary>The endpoint used when <see cref="Endpoints"/> is empty: a local node on its default port.</summary>
    public static readonly Uri DefaultEndpoint = new("http://127.0.0.1:7071");

    /// <summary>
    /// The gRPC endpoints of the cluster's nodes, e.g. <c>http://127.0.0.1:7071</c> (h2c) or <c>https://node1:7071</c>.
    /// Empty means <see cref="DefaultEndpoint"/>.
    /// </summary>
    public IList<Uri> Endpoints { get; private set; } = new List<Uri>();

    /// <summary>The keyspace used when a call does not name one. Default <c>default</c>.</summary>
    public string DefaultKeyspace { get; set; } = "default";

    /// <summary>The deadline of one attempt of a unary call. Default 5 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The deadline of one attempt of <see cref="StateClient.SnapshotAsync"/>, which may write a large file. Default 5 min.</summary>
    public TimeSpan SnapshotTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The deadline of one attempt of <see cref="StateClient.AddMemberAsync"/> and <see cref="StateClient.RemoveMemberAsync"/>,
    /// which return once the new configuration is committed (a new member first catches up). Default 90 s, longer than
    /// the server's own bound on catching up (60 s), so that the server's answer arrives rather than a client timeout.
    /// </summary>
    public TimeSpan MembershipTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// The consistency of reads whose <see cref="ReadOptions.Consistency"/> (or <see cref="RangeOptions.Consistency"/>)
    /// is <see langword="null"/>. Default <see cref="ReadConsistency.Linearizable"/>.
    /// </summary>
    public ReadConsistency DefaultReadConsistency { get; set; } = ReadConsistency.Linearizable;

    /// <summary>How many times a call is retried after a transient failure (so at most <c>MaxRetries + 1</c> attempts). Default 5; 0 disables retries.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>The first retry delay; later ones double, with jitter, up to <see cref="RetryMaxDelay"/>. Default 50 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The largest retry delay. Default 2 s.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many times in a row a watch may reconnect without receiving anything before it gives up. Default 10.</summary>
    public int WatchMaxReconnectAttempts { get; set; } = 10;

    /// <summary>The serializer settings of the typed JSON helpers. Default <see cref="JsonSerializerDefaults.Web"/>.</summary>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Identifies this client in request ids (<c>{ClientId}/{incarnation}:{sequence}</c>). Default: a random id per client.
    /// </summary>
    /// <remarks>
    /// A per-instance random incarnation is always added, so two processes (or a restarted process) that share a
    /// <see cref="ClientId"/> never produce the same request id, which the server would answer with a stale result.
    /// </remarks>
    public string? ClientId { get; set; }

    /// <summary>How long a connection may be idle before the client sends an HTTP/2 keep-alive ping. Default 30 s.</summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the client waits for a ping's answer before it drops the connection. Default 10 s.</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The deadline for opening a TCP (and TLS) connection to a node. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest response message the client accepts. Default 16 MiB.</summary>
    public int MaxReceiveMessageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The clock used for deadlines, backoff and lease keep-alive timing. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>A copy, so that a client is not affected by later changes to the options it was built from.</summary>
    internal StateClientOptions Clone()
    {
        var copy = (StateClientOptions)MemberwiseClone();
        copy.Endpoints = new List<Uri>(Endpoints);
        return copy;
    }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(DefaultKeyspace);
        ArgumentNullException.ThrowIfNull(JsonSerializerOptions);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SnapshotTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MembershipTimeout, TimeSpan.Zero);
        if (!Enum.IsDefined(DefaultReadConsistency))
        {
            throw new ArgumentOutOfRangeException(nameof(DefaultReadConsistency), DefaultReadConsistency, "Not a read consistency.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetries);
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryBaseDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryMaxDelay, RetryBaseDelay);
        ArgumentOutOfRangeException.ThrowIfNegative(WatchMaxReconnectAttempts);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(KeepAlivePingDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(KeepAlivePingTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxReceiveMessageBytes, 0);
        foreach (var endpoint in Endpoints)
        {
            ArgumentNullException.ThrowIfNull(endpoint);
            if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"Endpoint '{endpoint}' must be an absolute http:// or https:// URI.", nameof(Endpoints));
            }
        }
    }
}
