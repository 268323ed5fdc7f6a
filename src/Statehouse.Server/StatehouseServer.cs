using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Statehouse.Cluster;
using Statehouse.Core;
using Statehouse.Server.Cluster;
using Statehouse.Server.Grpc;
using Statehouse.Server.Http;

namespace Statehouse.Server;

/// <summary>Builds and runs a node process: the engine, the gRPC API, the HTTP/JSON API, metrics and health.</summary>
public static class StatehouseServer
{
    /// <summary>The meter of the API layer.</summary>
    public const string MeterName = "Statehouse.Server";

    /// <summary>Starts the node and the web host; returns the running application (dispose it to stop).</summary>
    public static async Task<WebApplication> StartAsync(ServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);

        // Log appends block a thread for their fdatasync (leader writer, follower appends): with the default minimum of
        // one worker per core, a few concurrent syncs starve the pool until it slowly injects threads.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), Math.Max(io, 16));
        var http = ParseEndpoint(options.HttpEndpoint, "--http");
        var grpc = ParseEndpoint(options.GrpcEndpoint, "--grpc");
        var peer = options.Clustered && options.EffectivePeerEndpoint is { } peerText ? ParseEndpoint(peerText, "--peer") : null;

        var loggerFactory = LoggerFactory.Create(l =>
        {
            l.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
            l.SetMinimumLevel(Enum.TryParse<LogLevel>(options.LogLevel, true, out var minimum) ? minimum : LogLevel.Information);
        });
        // Load the snapshot and replay the log while the web host is being built and JIT-compiled: start-up overlaps.
        var raft = RaftFrom(options);
        var nodeStarting = Task.Run(() => StatehouseNode.StartAsync(
            new NodeOptions
            {
                DataDirectory = options.DataDirectory,
                NodeId = options.NodeId,
                Limits = options.Limits,
                SyncWrites = options.SyncWrites,
                AcceptWalLoss = options.AcceptWalLoss,
                SegmentSizeBytes = options.WalSegmentSizeBytes,
                SnapshotThresholdEntries = options.SnapshotThresholdEntries,
                HistoryRetentionRevisions = options.HistoryRetentionRevisions,
                HistoryRetentionMs = options.HistoryRetentionMs,
                Raft = raft,
            },
            loggerFactory,
            cancellationToken), cancellationToken);

        // Configuration comes from the command line, not from files in the working directory: no config file watcher.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Logging.SetMinimumLevel(Enum.TryParse<LogLevel>(options.LogLevel, true, out var level) ? level : LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.EffectiveMaxRequestBodyBytes;
            k.Limits.Http2.MaxStreamsPerConnection = 1_000;
            // Cleartext HTTP/2 needs prior knowledge, which browsers and curl do not use: HTTP/1.1 here, HTTP/2 on the gRPC port.
            k.Listen(http, l => l.Protocols = HttpProtocols.Http1);
            k.Listen(grpc, l => l.Protocols = HttpProtocols.Http2);
            if (peer is not null)
            {
                k.Listen(peer, l => l.Protocols = HttpProtocols.Http2);
            }
        });

        builder.Services.AddGrpc(g =>
        {
            g.MaxReceiveMessageSize = options.EffectiveMaxGrpcMessageBytes;
            // Answers are bounded by their own limits (pages, watch fragments); one event can hold a value and its previous value.
            g.MaxSendMessageSize = (2 * options.Limits.MaxValueBytes) + (2 * options.Limits.MaxKeyBytes) + (1 << 20);
            g.Interceptors.Add<ErrorInterceptor>();
        }).Services.AddStrictGrpcMessages();
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(NodeMetricsNames.Node, MeterName)
            .AddAspNetCoreInstrumentation()
            .AddPrometheusExporter());

        // Resolved only after start-up has awaited the node below.
        builder.Services.AddSingleton(_ => nodeStarting.Result);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<NodeGateway>();
        builder.Services.AddSingleton(_ => new PeerChannels(options.EffectiveMaxGrpcMessageBytes + (1 << 20)));
        builder.Services.AddSingleton<ClusterDirectory>();
        builder.Services.AddHostedService<ReplicationLagMonitor>();
        builder.Services.AddSingleton<MembershipCheck>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MembershipCheck>());

        var app = builder.Build();

        // The peer plane answers only on its own listener, and that listener answers nothing else: a client that can
        // reach the client ports cannot stop a node's Raft group or propose leader-only commands (issue 11, item 1).
        // Decided by the local port the connection arrived on, never by the Host header (which the caller writes).
        app.UsePeerPlaneSeparation(peer?.Port);
        app.UseMiddleware<ProblemMiddleware>();

        // Kestrel's body limit is sized for HTTP values; gRPC messages have their own (larger) limit, enforced by gRPC.
        app.Use((context, next) =>
        {
            if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true
                && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = options.EffectiveMaxGrpcMessageBytes + 1024L;
            }

            return next(context);
        });
        app.MapGrpcService<KvService>();
        app.MapGrpcService<WatchService>();
        app.MapGrpcService<LeaseService>();
        app.MapGrpcService<MaintenanceService>();
        app.MapGrpcService<ClusterService>();
        app.MapGrpcService<PeerService>();
        HttpApi.Map(app);
        app.MapPrometheusScrapingEndpoint("/metrics");

        StatehouseNode node;
        try
        {
            node = await nodeStarting.ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            loggerFactory.Dispose();
            throw;
        }

        app.Lifetime.ApplicationStopped.Register(() =>
        {
            node.DisposeAsync().AsTask().GetAwaiter().GetResult();
            loggerFactory.Dispose();
        });

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        app.Logger.LogInformation("Statehouse node {NodeId} serving HTTP on http://{Http} and gRPC on http://{Grpc}, data in {Data}", options.NodeId, http, grpc, Path.GetFullPath(options.DataDirectory));
        if (peer is not null)
        {
            app.Logger.LogInformation("Peer plane (node to node only) on {Peer}", peer);
        }

        if (raft is not null && options.Join.Count > 0)
        {
            _ = JoinAsync(options, app.Logger, app.Lifetime.ApplicationStopping);
        }

        return app;
    }

    /// <summary>The Raft options of a clustered node (null for the single-node default), validated.</summary>
    public static RaftOptions? RaftFrom(ServerOptions options)
    {
        if (!options.Clustered)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(options.RaftEndpoint))
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "--raft HOST:PORT is required with --initial-cluster or --join.");
        }

        if (options.ElectionTimeoutMinMs < 50 || options.ElectionTimeoutMaxMs <= options.ElectionTimeoutMinMs)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, $"The election timeout range must satisfy 50 <= min < max; got {options.ElectionTimeoutMinMs}..{options.ElectionTimeoutMaxMs} ms.");
        }

        if (options.RaftRequestTimeoutMs <= 0 || options.RaftRequestTimeoutMs >= options.ElectionTimeoutMinMs)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, $"--raft-request-timeout-ms ({options.RaftRequestTimeoutMs}) must be above 0 and below --election-timeout-min-ms ({options.ElectionTimeoutMinMs}): a vote request to a hung member must fail before the election does.");
        }

        var self = ParseEndpoint(options.RaftEndpoint, "--raft");
        var peer = options.EffectivePeerEndpoint is { } peerText
            ? ParseEndpoint(peerText, "--peer")
            : throw new StatehouseException(ErrorCode.InvalidArgument, $"--peer HOST:PORT is required: no default from --raft {options.RaftEndpoint}.");
        // Ports, not just endpoints: the peer plane is told apart by the local port a connection arrives on.
        if (peer.Port == self.Port || peer.Port == ParseEndpoint(options.HttpEndpoint, "--http").Port || peer.Port == ParseEndpoint(options.GrpcEndpoint, "--grpc").Port)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, $"--peer {peer} uses the port of this node's HTTP, gRPC or Raft endpoint; the peer plane needs a port of its own.");
        }

        var members = new Dictionary<string, IPEndPoint>(StringComparer.Ordinal);
        foreach (var entry in options.InitialCluster)
        {
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == entry.Length - 1)
            {
                throw new StatehouseException(ErrorCode.InvalidArgument, $"--initial-cluster entries are ID=HOST:PORT; got '{entry}'.");
            }

            if (!members.TryAdd(entry[..eq], ParseEndpoint(entry[(eq + 1)..], "--initial-cluster")))
            {
                throw new StatehouseException(ErrorCode.InvalidArgument, $"--initial-cluster names '{entry[..eq]}' twice.");
            }
        }

        if (members.Count > 0 && (!members.TryGetValue(options.NodeId, out var mine) || !mine.Equals(self)))
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, $"--initial-cluster must list this node as {options.NodeId}={options.RaftEndpoint}.");
        }

        return new RaftOptions
        {
            Endpoint = self,
            InitialMembers = members,
            ElectionTimeoutMinMs = options.ElectionTimeoutMinMs,
            ElectionTimeoutMaxMs = options.ElectionTimeoutMaxMs,
            RequestTimeout = TimeSpan.FromMilliseconds(options.RaftRequestTimeoutMs),
            Metadata = new Dictionary<string, string>
            {
                [RaftOptions.MetadataKeys.NodeId] = options.NodeId,
                [RaftOptions.MetadataKeys.Http] = options.HttpEndpoint,
                [RaftOptions.MetadataKeys.Grpc] = options.GrpcEndpoint,
                [RaftOptions.MetadataKeys.Peer] = peer.ToString(),
                [RaftOptions.MetadataKeys.Incarnation] = Guid.NewGuid().ToString("N"),
            },
        };
    }

    /// <summary>A joining node asks a running member (any; it forwards to the leader) to add it, until it is added.</summary>
    private static async Task JoinAsync(ServerOptions options, ILogger logger, CancellationToken stopping)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(90) };
        var body = System.Text.Json.JsonSerializer.Serialize(new { raftAddress = options.RaftEndpoint });
        for (var attempt = 1; attempt <= 60 && !stopping.IsCancellationRequested; attempt++)
        {
            foreach (var url in options.Join)
            {
                try
                {
                    using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
                    using var response = await http.PostAsync(new Uri(new Uri(url.TrimEnd('/') + "/"), "v1/cluster/members"), content, stopping).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        logger.LogInformation("Joined the cluster through {Url}", url);
                        return;
                    }

                    logger.LogWarning("Join through {Url} refused: {Status} {Body}", url, (int)response.StatusCode, await response.Content.ReadAsStringAsync(stopping).ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !stopping.IsCancellationRequested)
                {
                    logger.LogWarning("Join through {Url} failed: {Message}", url, ex.Message);
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), stopping).ConfigureAwait(false);
        }
    }

    /// <summary>Runs until the process is asked to stop (Ctrl+C / SIGTERM) or <paramref name="cancellationToken"/> fires.</summary>
    public static async Task RunAsync(ServerOptions options, CancellationToken cancellationToken = default)
    {
        var app = await StartAsync(options, cancellationToken).ConfigureAwait(false);
        await using (app.ConfigureAwait(false))
        {
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Parses host:port (IPv4, [IPv6] or localhost).</summary>
    public static IPEndPoint ParseEndpoint(string text, string optionName)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, $"{optionName} must be HOST:PORT, got '{text}'.");
        }

        var host = text[..colon].Trim('[', ']');
        var address = host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var parsed) ? parsed
            : throw new StatehouseException(ErrorCode.InvalidArgument, $"{optionName} host must be an IP address or localhost, got '{host}'.");
        return new IPEndPoint(address, port);
    }
}
