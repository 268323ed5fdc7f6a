using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Statehouse.Core;
using Statehouse.Core.Model;
using Statehouse.Server.Grpc;

namespace Statehouse.Server.Http;

internal static partial class HttpApi
{
    private static void MapLeases(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/leases", GrantLeaseAsync);
        app.MapGet("/v1/leases", (HttpContext context, NodeGateway gateway) =>
        {
            var view = gateway.ReadView();
            Stamp(context, gateway, view.Revision);
            return Results.Json(new { revision = view.Revision, ids = view.Leases.Keys.Order().ToList() }, HttpJson.Options);
        });
        app.MapGet("/v1/leases/{id:long}", async (HttpContext context, long id, NodeGateway gateway) =>
        {
            var ttlOnLeader = await gateway.TimeToLiveAsync(id, context.RequestAborted).ConfigureAwait(false);
            var view = gateway.ReadView();
            Stamp(context, gateway, view.Revision);
            if (ttlOnLeader is not { } ttl || !view.Leases.TryGetValue(id, out var lease))
            {
                throw new StatehouseException(ErrorCode.NotFound, $"Lease {id} does not exist.");
            }

            var keys = lease.Keys.Select(k => $"{k.Keyspace}/{LeaseService.KeyText(k.Key)}").Order(StringComparer.Ordinal).ToList();
            return Results.Json(new LeaseJson(id, ttl.RemainingSeconds, ttl.GrantedSeconds, keys), HttpJson.Options);
        });
        app.MapPost("/v1/leases/{id:long}/keepalive", async (HttpContext context, long id, NodeGateway gateway) =>
        {
            var ttl = await gateway.KeepAliveAsync(id, context.RequestAborted).ConfigureAwait(false);
            Stamp(context, gateway, gateway.ReadView().Revision);
            return Results.Json(new LeaseJson(id, ttl), HttpJson.Options);
        });
        app.MapDelete("/v1/leases/{id:long}", async (HttpContext context, long id, NodeGateway gateway) =>
        {
            var result = await gateway.ExecuteAsync<LeaseRevokeResult>(new LeaseRevokeCommand(id) { RequestId = RequestId(context) }, context.RequestAborted).ConfigureAwait(false);
            Stamp(context, gateway, result.Revision);
            return Results.Json(new { revision = result.Revision, keysDeleted = result.KeysDeleted }, HttpJson.Options);
        });
    }

    private static async Task GrantLeaseAsync(HttpContext context, NodeGateway gateway)
    {
        LeaseGrantJson? body = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            body = await ReadJsonAsync<LeaseGrantJson>(context).ConfigureAwait(false);
        }

        var ttl = body?.TtlSeconds ?? QueryLong(context, "ttl");
        if (ttl <= 0)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "A lease needs ttlSeconds > 0 (JSON body {\"ttlSeconds\": N} or ?ttl=N).");
        }

        var command = new LeaseGrantCommand(body?.Id ?? QueryLong(context, "id"), ttl) { RequestId = RequestId(context) };
        var result = await gateway.ExecuteAsync<LeaseGrantResult>(command, context.RequestAborted).ConfigureAwait(false);
        Stamp(context, gateway, result.Revision);
        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers.Location = "/v1/leases/" + result.LeaseId.ToString(CultureInfo.InvariantCulture);
        await context.Response.WriteAsJsonAsync(new LeaseJson(result.LeaseId, result.TtlSeconds), HttpJson.Options, context.RequestAborted).ConfigureAwait(false);
    }
}
