using Grpc.Core;
using Statehouse.Core;
using Statehouse.Server.Cluster;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Grpc;

/// <summary>Membership: list, add, remove (changes run on the leader; a follower forwards them).</summary>
internal sealed class ClusterService(NodeGateway gateway, ClusterDirectory directory) : V1.Cluster.ClusterBase
{
    public override Task<V1.ClusterMembersResponse> Members(V1.ClusterMembersRequest request, ServerCallContext context) =>
        WithHeader(directory.MembersAsync(context.CancellationToken));

    public override async Task<V1.ClusterMembersResponse> AddMember(V1.AddMemberRequest request, ServerCallContext context)
    {
        var endpoint = StatehouseServer.ParseEndpoint(request.RaftAddress, "raft_address");
        await MembershipChange.AddAsync(gateway, endpoint, context.CancellationToken).ConfigureAwait(false);
        await gateway.ReadViewAsync(ReadRequirement.Default, context.CancellationToken).ConfigureAwait(false);
        return await WithHeader(directory.MembersAsync(context.CancellationToken)).ConfigureAwait(false);
    }

    public override async Task<V1.ClusterMembersResponse> RemoveMember(V1.RemoveMemberRequest request, ServerCallContext context)
    {
        var endpoint = await directory.ResolveAsync(request.Member, context.CancellationToken).ConfigureAwait(false);
        await MembershipChange.RemoveAsync(gateway, endpoint, context.CancellationToken).ConfigureAwait(false);
        await gateway.ReadViewAsync(ReadRequirement.Default, context.CancellationToken).ConfigureAwait(false);
        return await WithHeader(directory.MembersAsync(context.CancellationToken)).ConfigureAwait(false);
    }

    private async Task<V1.ClusterMembersResponse> WithHeader(Task<V1.ClusterMembersResponse> members)
    {
        var response = await members.ConfigureAwait(false);
        response.Header = ProtoMapper.Header(gateway.ReadView(), gateway.Node.NodeId);
        return response;
    }
}
