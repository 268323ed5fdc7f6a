using System.CommandLine;
using Statehouse.Core;
using Statehouse.Server;

namespace Statehouse.Cli;

/// <summary><c>statehouse serve</c>: runs a node in this process.</summary>
internal static class ServeCommand
{
    public static void Add(RootCommand root)
    {
        var data = new Option<string>("--data") { Description = "Data directory (log, snapshots).", DefaultValueFactory = _ => "./data" };
        var http = new Option<string>("--http") { Description = "HTTP/JSON endpoint HOST:PORT.", DefaultValueFactory = _ => "127.0.0.1:7070" };
        var grpc = new Option<string>("--grpc") { Description = "gRPC endpoint HOST:PORT.", DefaultValueFactory = _ => "127.0.0.1:7071" };
        var nodeId = new Option<string>("--node-id") { Description = "This node's id.", DefaultValueFactory = _ => "n1" };
        var maxKey = new Option<int>("--max-key-bytes") { Description = "Largest key.", DefaultValueFactory = _ => StoreLimits.Default.MaxKeyBytes };
        var maxValue = new Option<int>("--max-value-bytes") { Description = "Largest value.", DefaultValueFactory = _ => StoreLimits.Default.MaxValueBytes };
        var retention = new Option<long>("--history-revisions") { Description = "Revisions of history kept for watches and reads at a revision.", DefaultValueFactory = _ => 100_000 };
        var retentionMs = new Option<long>("--history-ms") { Description = "History older than this is compacted (0 = by revisions only).", DefaultValueFactory = _ => 600_000 };
        var idempotencyMs = new Option<long>("--idempotency-window-ms") { Description = "How long request ids are remembered.", DefaultValueFactory = _ => StoreLimits.Default.IdempotencyWindowMs };
        var snapshotEntries = new Option<long>("--snapshot-entries") { Description = "Snapshot after this many log entries.", DefaultValueFactory = _ => 100_000 };
        var noSync = new Option<bool>("--unsafe-no-fsync") { Description = "Do not fdatasync the log (benchmarks only: loses acknowledged writes on a crash)." };
        var logLevel = new Option<string>("--log-level") { Description = "Trace, Debug, Information, Warning, Error.", DefaultValueFactory = _ => "Information" };

        var serve = new Command("serve", "Run a Statehouse node (a single-member cluster) with its data in a local folder.")
        {
            data, http, grpc, nodeId, maxKey, maxValue, retention, retentionMs, idempotencyMs, snapshotEntries, noSync, logLevel,
        };
        serve.SetAction(async (parse, cancellationToken) =>
        {
            var options = new ServerOptions
            {
                DataDirectory = parse.GetValue(data)!,
                HttpEndpoint = parse.GetValue(http)!,
                GrpcEndpoint = parse.GetValue(grpc)!,
                NodeId = parse.GetValue(nodeId)!,
                Limits = StoreLimits.Default with
                {
                    MaxKeyBytes = parse.GetValue(maxKey),
                    MaxValueBytes = parse.GetValue(maxValue),
                    IdempotencyWindowMs = parse.GetValue(idempotencyMs),
                },
                HistoryRetentionRevisions = parse.GetValue(retention),
                HistoryRetentionMs = parse.GetValue(retentionMs),
                SnapshotThresholdEntries = parse.GetValue(snapshotEntries),
                SyncWrites = !parse.GetValue(noSync),
                LogLevel = parse.GetValue(logLevel)!,
            };
            await StatehouseServer.RunAsync(options, cancellationToken).ConfigureAwait(false);
            return 0;
        });
        root.Subcommands.Add(serve);
    }
}
