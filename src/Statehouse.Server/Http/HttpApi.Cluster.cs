using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Statehouse.Core;
using Statehouse.Server.Cluster;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Http;

internal static partial class HttpApi
{
    private static void MapCluster(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/cluster", async (HttpContext context, NodeGateway gateway, ClusterDirectory directory) =>
        {
            var members = await directory.MembersAsync(context.RequestAborted).ConfigureAwait(false);
            Stamp(context, gateway, gateway.ReadView().Revision);
            return Results.Json(ToJson(gateway, members), HttpJson.Options);
        });

        app.MapPost("/v1/cluster/members", async (HttpContext context, NodeGateway gateway, ClusterDirectory directory) =>
        {
            AddMemberJson? body;
            try
            {
                body = await JsonSerializer.DeserializeAsync<AddMemberJson>(context.Request.Body, HttpJson.Options, context.RequestAborted).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                throw new StatehouseException(ErrorCode.InvalidArgument, $"The body must be JSON {{\"raftAddress\":\"HOST:PORT\"}}: {ex.Message}");
            }

            if (string.IsNullOrWhiteSpace(body?.RaftAddress))
            {
                throw new StatehouseException(ErrorCode.InvalidArgument, "raftAddress (HOST:PORT of the new node's --raft listener) is required.");
            }

            var endpoint = StatehouseServer.ParseEndpoint(body.RaftAddress, "raftAddress");
            await MembershipChange.AddAsync(gateway, endpoint, context.RequestAborted).ConfigureAwait(false);
            await gateway.ReadViewAsync(ReadRequirement.Default, context.RequestAborted).ConfigureAwait(false);
            var members = await directory.MembersAsync(context.RequestAborted).ConfigureAwait(false);
            return Results.Json(ToJson(gateway, members), HttpJson.Options);
        });

        app.MapDelete("/v1/cluster/members/{member}", async (HttpContext context, string member, NodeGateway gateway, ClusterDirectory directory) =>
        {
            var endpoint = await directory.ResolveAsync(Uri.UnescapeDataString(member), context.RequestAborted).ConfigureAwait(false);
            await MembershipChange.RemoveAsync(gateway, endpoint, context.RequestAborted).ConfigureAwait(false);
            await gateway.ReadViewAsync(ReadRequirement.Default, context.RequestAborted).ConfigureAwait(false);
            var members = await directory.MembersAsync(context.RequestAborted).ConfigureAwait(false);
            return Results.Json(ToJson(gateway, members), HttpJson.Options);
        });
    }

    private static ClusterJson ToJson(NodeGateway gateway, V1.ClusterMembersResponse r) => new(
        r.Clustered,
        gateway.Node.NodeId,
        r.LeaderId.Length == 0 ? null : r.LeaderId,
        (long)r.Term,
        r.Members.Select(m => new MemberJson(m.Id, m.RaftAddress, m.HttpAddress, m.GrpcAddress, m.Role, m.Available,
            (long)m.AppliedIndex, (long)m.CommitIndex, m.Lag, m.Revision, (long)m.Term)
        {
            State = m.State.Length == 0 ? null : m.State,
            PeerAddress = m.PeerAddress.Length == 0 ? null : m.PeerAddress,
            Incarnation = m.Incarnation.Length == 0 ? null : m.Incarnation,
        }).ToList());

    private sealed record AddMemberJson(string? RaftAddress);

    private sealed record ClusterJson(bool Clustered, string Self, string? Leader, long Term, IReadOnlyList<MemberJson> Members);

    private sealed record MemberJson(string Id, string RaftAddress, string HttpAddress, string GrpcAddress, string Role, bool Available,
        long AppliedIndex, long CommitIndex, long Lag, long Revision, long Term)
    {
        /// <summary>serving | removed | stopped | unhealthy | unreachable.</summary>
        public string? State { get; init; }

        public string? PeerAddress { get; init; }

        public string? Incarnation { get; init; }
    }
}
