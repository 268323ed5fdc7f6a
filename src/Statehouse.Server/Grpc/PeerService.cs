using Grpc.Core;
using Statehouse.Core;
using Statehouse.Core.Codecs;
using Statehouse.Server.Cluster;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Grpc;

/// <summary>
/// Node-to-node calls: forwarded writes, read index, lease calls for the leader's lease clock, status probes, membership
/// and removal notices. Served only on the peer listener (<see cref="PeerPlane"/>), and even there nothing is taken on
/// trust that a client could not do through the API: a forward carries only client commands, and a removal notice is a
/// hint this node checks with the leader before it stops.
/// </summary>
internal sealed class PeerService(NodeGateway gateway, ClusterDirectory directory, MembershipCheck membership, ILogger<PeerService> logger) : V1.Peer.PeerBase
{
    public override async Task<V1.ForwardResponse> Forward(V1.ForwardRequest request, ServerCallContext context)
    {
        var node = gateway.Node;
        gateway.ThrowIfRemoved();
        if (!node.IsLeader)
        {
            // Not applied here: the sender re-routes to the leader it learns next.
            return new V1.ForwardResponse { ErrorCode = (int)ErrorCode.NotLeader, ErrorMessage = "This node is not the leader." };
        }

        Core.Model.CommandBatch batch;
        try
        {
            batch = CommandCodec.Decode(request.Command.Span);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or OverflowException)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, $"The forwarded command does not decode: {ex.Message}");
        }

        if (batch.Commands.Count != 1)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "A forwarded request carries exactly one command.");
        }

        ForwardPolicy.Check(batch.Commands[0]);
        try
        {
            // Leader-side only: no further forwarding from here (ExecuteRawAsync would forward if leadership moved).
            var result = await node.Propose(batch.Commands[0]).WaitAsync(gateway.WriteTimeout, context.CancellationToken).ConfigureAwait(false);
            return new V1.ForwardResponse { Result = NodeGateway.EncodeResult(result) };
        }
        catch (TimeoutException)
        {
            return new V1.ForwardResponse { ErrorCode = (int)ErrorCode.Timeout, ErrorMessage = $"The write was not confirmed within {gateway.WriteTimeout.TotalSeconds:F0} s; it may still apply. Retry with the same request id." };
        }
        catch (StatehouseException ex)
        {
            return new V1.ForwardResponse { ErrorCode = (int)ex.Code, ErrorMessage = ex.Message, LeaderHint = ex.LeaderHint ?? "" };
        }
    }

    public override async Task<V1.ReadIndexResponse> ReadIndex(V1.ReadIndexRequest request, ServerCallContext context)
    {
        gateway.ThrowIfRemoved();
        var index = await gateway.Node.ReadIndexAsync().WaitAsync(context.CancellationToken).ConfigureAwait(false);
        return new V1.ReadIndexResponse { Index = (ulong)index };
    }

    public override Task<V1.PeerLeaseResponse> Lease(V1.PeerLeaseRequest request, ServerCallContext context)
    {
        gateway.ThrowIfRemoved();
        return Task.FromResult(gateway.LeaseHere(request.Id, request.KeepAlive));
    }

    public override async Task<V1.RemovedResponse> Removed(V1.RemovedRequest request, ServerCallContext context)
    {
        // An empty incarnation names no process: refused (any caller could send one to stop any node).
        if (request.Incarnation.Length == 0)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "A removal notice must name the incarnation of the process it is meant for.");
        }

        // A notice meant for an earlier process at this address (the member this one replaces) is not for us: the fault
        // lab's membership nemesis found a fresh node stopped by the late notice of its predecessor's removal.
        if (request.Incarnation != membership.Incarnation)
        {
            logger.LogWarning("Ignored a removal notice from {RemovedBy} meant for an earlier process at this address", request.RemovedBy);
            return new V1.RemovedResponse { Accepted = false, Reason = "stale incarnation: meant for an earlier process at this address" };
        }

        // Never on the sender's word: the leader must list this node no more in its committed configuration.
        var verdict = await membership.CheckNowAsync(context.CancellationToken).ConfigureAwait(false);
        if (verdict.Removed)
        {
            return new V1.RemovedResponse { Accepted = true };
        }

        logger.LogWarning("Ignored a removal notice from {RemovedBy}: {Reason}", request.RemovedBy, verdict.Reason);
        return new V1.RemovedResponse { Accepted = false, Reason = verdict.Reason };
    }

    public override Task<V1.MembershipResponse> Membership(V1.MembershipRequest request, ServerCallContext context)
    {
        var node = gateway.Node;
        var response = new V1.MembershipResponse { NodeId = node.NodeId, IsLeader = node.RaftGroupRunning && node.IsLeader, Term = (ulong)node.Term };
        if (node.RaftGroupRunning)
        {
            response.RaftAddresses.AddRange(node.ConfigurationAddresses);
        }

        return Task.FromResult(response);
    }

    public override Task<V1.ClusterMember> NodeStatus(V1.NodeStatusRequest request, ServerCallContext context) =>
        Task.FromResult(directory.Self());
}
