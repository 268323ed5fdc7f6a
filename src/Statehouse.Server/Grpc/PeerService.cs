using Grpc.Core;
using Statehouse.Core;
using Statehouse.Core.Codecs;
using Statehouse.Server.Cluster;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Grpc;

/// <summary>Node-to-node calls: forwarded writes, read index, lease calls for the leader's lease clock, status probes.</summary>
internal sealed class PeerService(NodeGateway gateway, ClusterDirectory directory, ILogger<PeerService> logger) : V1.Peer.PeerBase
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
        // A message meant for an earlier process at this address (the member this one replaces) is not for us: the
        // fault lab's membership nemesis found a fresh node stopped by the late notice of its predecessor's removal.
        var mine = gateway.Node.Options.Raft?.Metadata.GetValueOrDefault(global::Statehouse.Cluster.RaftOptions.MetadataKeys.Incarnation);
        if (request.Incarnation.Length > 0 && request.Incarnation != mine)
        {
            logger.LogWarning("Ignored a removal notice from {RemovedBy} meant for an earlier process at this address", request.RemovedBy);
            return new V1.RemovedResponse();
        }

        await gateway.Node.LeaveClusterAsync(request.RemovedBy).ConfigureAwait(false);
        return new V1.RemovedResponse();
    }

    public override Task<V1.ClusterMember> NodeStatus(V1.NodeStatusRequest request, ServerCallContext context) =>
        Task.FromResult(directory.Self());
}
