using Grpc.Core;
using Statehouse.Core;
using Statehouse.Core.Codecs;
using Statehouse.Server.Cluster;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Grpc;

/// <summary>Node-to-node calls: forwarded writes, read index, lease calls for the leader's lease clock, status probes.</summary>
internal sealed class PeerService(NodeGateway gateway, ClusterDirectory directory) : V1.Peer.PeerBase
{
    public override async Task<V1.ForwardResponse> Forward(V1.ForwardRequest request, ServerCallContext context)
    {
        var node = gateway.Node;
        if (!node.IsLeader)
        {
            // Not applied here: the sender re-routes to the leader it learns next.
            return new V1.ForwardResponse { ErrorCode = (int)ErrorCode.NotLeader, ErrorMessage = "This node is not the leader." };
        }

        var batch = CommandCodec.Decode(request.Command.Span);
        if (batch.Commands.Count != 1)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "A forwarded request carries exactly one command.");
        }

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
        var index = await gateway.Node.ReadIndexAsync().WaitAsync(context.CancellationToken).ConfigureAwait(false);
        return new V1.ReadIndexResponse { Index = (ulong)index };
    }

    public override Task<V1.PeerLeaseResponse> Lease(V1.PeerLeaseRequest request, ServerCallContext context) =>
        Task.FromResult(gateway.LeaseHere(request.Id, request.KeepAlive));

    public override async Task<V1.RemovedResponse> Removed(V1.RemovedRequest request, ServerCallContext context)
    {
        await gateway.Node.LeaveClusterAsync(request.RemovedBy).ConfigureAwait(false);
        return new V1.RemovedResponse();
    }

    public override Task<V1.ClusterMember> NodeStatus(V1.NodeStatusRequest request, ServerCallContext context) =>
        Task.FromResult(directory.Self());
}
