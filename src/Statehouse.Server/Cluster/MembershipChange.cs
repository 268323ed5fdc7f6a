using System.Net;
using Grpc.Core;
using Statehouse.Core;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Cluster;

/// <summary>Adds and removes members on the leader (one change at a time, as DotNext requires); a follower forwards.</summary>
internal static class MembershipChange
{
    /// <summary>How long adding a member may take (it first catches up with the leader).</summary>
    private static readonly TimeSpan AddTimeout = TimeSpan.FromSeconds(60);

    public static async Task AddAsync(NodeGateway gateway, IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var node = gateway.Node;
        RequireCluster(gateway);
        if (node.IsLeader)
        {
            var members = await node.MembersAsync(cancellationToken).ConfigureAwait(false);
            if (members.Any(m => endpoint.Equals(m.RaftEndpoint)))
            {
                return;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(AddTimeout);
            bool added;
            try
            {
                added = await node.AddMemberAsync(endpoint, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new StatehouseException(ErrorCode.Timeout, $"{endpoint} did not catch up within {AddTimeout.TotalSeconds:F0} s; is it running with --join?");
            }

            if (!added)
            {
                throw new StatehouseException(ErrorCode.Unavailable, $"{endpoint} was not added (another membership change is in progress); retry.");
            }

            return;
        }

        await OnLeaderAsync(gateway, c => c.AddMemberAsync(new V1.AddMemberRequest { RaftAddress = endpoint.ToString() }, deadline: DateTime.UtcNow + AddTimeout + TimeSpan.FromSeconds(5), cancellationToken: cancellationToken).ResponseAsync, cancellationToken).ConfigureAwait(false);
    }

    public static async Task RemoveAsync(NodeGateway gateway, EndPoint endpoint, CancellationToken cancellationToken)
    {
        var node = gateway.Node;
        RequireCluster(gateway);
        if (node.IsLeader)
        {
            var removed = (await node.MembersAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(m => endpoint.Equals(m.RaftEndpoint));
            if (!await node.RemoveMemberAsync(endpoint, cancellationToken).ConfigureAwait(false))
            {
                throw new StatehouseException(ErrorCode.NotFound, $"{endpoint} is not a member (or another membership change is in progress).");
            }

            // DotNext does not tell the removed member; we do (best effort: it may be dead, which is why it goes).
            // The member checks with this leader before it stops (MembershipCheck), so the notice only makes it look now.
            if (removed?.Metadata is { } metadata && NodeGateway.PeerAddress(metadata) is { } peer
                && metadata.TryGetValue(global::Statehouse.Cluster.RaftOptions.MetadataKeys.Incarnation, out var incarnation) && incarnation.Length > 0)
            {
                try
                {
                    await gateway.Peers.Peer(peer).RemovedAsync(new V1.RemovedRequest { RemovedBy = node.NodeId, Incarnation = incarnation }, deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (RpcException)
                {
                }
            }

            return;
        }

        await OnLeaderAsync(gateway, c => c.RemoveMemberAsync(new V1.RemoveMemberRequest { Member = endpoint.ToString() }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken).ResponseAsync, cancellationToken).ConfigureAwait(false);
    }

    private static async Task OnLeaderAsync(NodeGateway gateway, Func<V1.Cluster.ClusterClient, Task<V1.ClusterMembersResponse>> call, CancellationToken cancellationToken)
    {
        var leader = await gateway.LeaderGrpcAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new StatehouseException(ErrorCode.Unavailable, "This node became the leader while the change was being routed; retry.");
        try
        {
            await call(gateway.Peers.Cluster(leader)).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            var code = ex.Trailers.GetValue(ErrorMapping.CodeTrailer) is { } text && Enum.TryParse<ErrorCode>(text, out var parsed) ? parsed : ErrorCode.Unavailable;
            throw new StatehouseException(code, $"The leader refused the membership change: {ex.Status.Detail}", ex);
        }
    }

    private static void RequireCluster(NodeGateway gateway)
    {
        if (!gateway.Node.IsClustered)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "This node is a single-node cluster (started without --initial-cluster or --join); membership cannot change.");
        }
    }
}
