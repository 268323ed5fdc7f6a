using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Statehouse.Core;
using Statehouse.Core.Model;
using Statehouse.Server.Grpc;

namespace Statehouse.Server.Http;

internal static partial class HttpApi
{
    private static void MapAdmin(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", (NodeGateway gateway) =>
            gateway.Node.Fatal is { } fatal
                ? Results.Json(new { status = "unhealthy", reason = fatal.Message }, HttpJson.Options, statusCode: 503)
                : Results.Json(new { status = "ok", revision = gateway.ReadView().Revision }, HttpJson.Options));

        app.MapGet("/v1/status", (HttpContext context, NodeGateway gateway) =>
        {
            var s = MaintenanceService.BuildStatus(gateway);
            Stamp(context, gateway, s.Revision);
            var node = gateway.Node;
            var view = node.View;
            return Results.Json(
                new StatusJson(s.Header.NodeId, s.Version, s.Revision, s.CompactRevision, (long)s.AppliedIndex, (long)s.CommitIndex, s.Keys, s.Bytes, s.Leases, s.UptimeMs, s.Leader, s.Term, (long)s.SnapshotIndex, s.WalBytes, WatchStream.Active)
                {
                    StateHash = context.Request.Query["hash"] == "true"
                        ? $"{view.AppliedIndex}:{Core.Store.StateMachine.StateHash(view):x16}"
                        : null,
                    IsLeader = node.IsLeader,
                    Elections = node.Elections,
                    SnapshotInstalls = node.SnapshotInstalls,
                    Recoveries = node.Recoveries,
                },
                HttpJson.Options);
        });

        app.MapPost("/v1/snapshot", async (HttpContext context, NodeGateway gateway) =>
        {
            var report = await gateway.Node.SnapshotAsync(context.RequestAborted).ConfigureAwait(false);
            return Results.Json(new { index = report.Index, revision = report.Revision, bytes = report.Bytes, path = report.Path, durationMs = (long)report.Duration.TotalMilliseconds }, HttpJson.Options);
        });

        app.MapPost("/v1/compact", async (HttpContext context, NodeGateway gateway) =>
        {
            // No ?revision= compacts to the current revision; an explicit one must be a revision (>= 1): "-1" or "0"
            // once meant "everything", the opposite of what a caller probing with them expects.
            var revision = context.Request.Query.ContainsKey("revision") ? QueryLong(context, "revision") : gateway.ReadView().Revision;
            if (revision <= 0)
            {
                throw new StatehouseException(ErrorCode.InvalidArgument, $"revision must be at least 1 (omit it to compact to the current revision); got {revision}.");
            }

            var command = new CompactCommand(revision) { RequestId = RequestId(context) };
            var result = await gateway.ExecuteAsync<CompactResult>(command, context.RequestAborted).ConfigureAwait(false);
            Stamp(context, gateway, result.Revision);
            return Results.Json(new { revision = result.Revision, compactRevision = result.CompactRevision }, HttpJson.Options);
        });

        app.MapGet("/v1/keyspaces", (HttpContext context, NodeGateway gateway) =>
        {
            var view = gateway.ReadView();
            Stamp(context, gateway, view.Revision);
            var list = view.Keyspaces.Values.OrderBy(k => k.Config.Name, StringComparer.Ordinal)
                .Select(k => new KeyspaceJson { Name = k.Config.Name, MaxKeyBytes = k.Config.MaxKeyBytes, MaxValueBytes = k.Config.MaxValueBytes, MaxKeys = k.Config.MaxKeys, Keys = k.LiveKeys, Bytes = k.LiveBytes })
                .ToList();
            return Results.Json(new { revision = view.Revision, keyspaces = list }, HttpJson.Options);
        });

        app.MapPost("/v1/keyspaces", async (HttpContext context, NodeGateway gateway) =>
        {
            var body = await ReadJsonAsync<KeyspaceJson>(context).ConfigureAwait(false)
                ?? throw new StatehouseException(ErrorCode.InvalidArgument, "A JSON body {\"name\": ...} is required.");
            var config = new KeyspaceConfig(body.Name ?? "", body.MaxKeyBytes ?? 0, body.MaxValueBytes ?? 0, body.MaxKeys ?? 0);
            var result = await gateway.ExecuteAsync<CreateKeyspaceResult>(new CreateKeyspaceCommand(config) { RequestId = RequestId(context) }, context.RequestAborted).ConfigureAwait(false);
            Stamp(context, gateway, result.Revision);
            return Results.Json(new KeyspaceJson { Name = result.Config.Name, MaxKeyBytes = result.Config.MaxKeyBytes, MaxValueBytes = result.Config.MaxValueBytes, MaxKeys = result.Config.MaxKeys }, HttpJson.Options, statusCode: 201);
        });
    }
}
