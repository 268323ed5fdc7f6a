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
        var http = ParseEndpoint(options.HttpEndpoint, "--http");
        var grpc = ParseEndpoint(options.GrpcEndpoint, "--grpc");

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
        var nodeStarting = Task.Run(() => StatehouseNode.StartAsync(
            new NodeOptions
            {
                DataDirectory = options.DataDirectory,
                NodeId = options.NodeId,
                Limits = options.Limits,
                SyncWrites = options.SyncWrites,
                SnapshotThresholdEntries = options.SnapshotThresholdEntries,
                HistoryRetentionRevisions = options.HistoryRetentionRevisions,
                HistoryRetentionMs = options.HistoryRetentionMs,
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
        });

        builder.Services.AddGrpc(g =>
        {
            g.MaxReceiveMessageSize = options.EffectiveMaxGrpcMessageBytes;
            // Answers are bounded by their own limits (pages, watch fragments); one event can hold a value and its previous value.
            g.MaxSendMessageSize = (2 * options.Limits.MaxValueBytes) + (2 * options.Limits.MaxKeyBytes) + (1 << 20);
            g.Interceptors.Add<ErrorInterceptor>();
        });
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(NodeMetricsNames.Node, MeterName)
            .AddAspNetCoreInstrumentation()
            .AddPrometheusExporter());

        // Resolved only after start-up has awaited the node below.
        builder.Services.AddSingleton(_ => nodeStarting.Result);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<NodeGateway>();

        var app = builder.Build();
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
        return app;
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
