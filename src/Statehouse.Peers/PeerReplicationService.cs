using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Statehouse.Peers.V1;
using Statehouse.Raft;
using Statehouse.Replication;

namespace Statehouse.Peers;

/// <summary>
/// The receiving end of the peer plane: checks who calls (a known node, by the <see cref="GrpcPeerTransport.NodeHeader"/>
/// header) and what it sends (decodable, from a member that node hosts, to a member of this node), then hands the
/// messages to the host's runtime. Mapped on the peer listener only.
/// </summary>
public sealed class PeerReplicationService(
    HostRuntime runtime, PeerDirectory directory, IHostApplicationLifetime? lifetime = null, ILogger<PeerReplicationService>? logger = null) : V1.Replication.ReplicationBase
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <inheritdoc />
    public override async Task<DeliverSummary> Deliver(IAsyncStreamReader<MessageBatch> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        var header = context.RequestHeaders.GetValue(GrpcPeerTransport.NodeHeader);
        if (!ulong.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id == 0)
        {
            Log.PeerCallRefused(_logger, context.Peer, "no node id");
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"A peer call names its node in the '{GrpcPeerTransport.NodeHeader}' header."));
        }

        var caller = new NodeId(id);
        if (caller == directory.Self || !directory.IsKnown(caller))
        {
            Log.PeerCallRefused(_logger, context.Peer, $"node {id} is not a member of this cluster");
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"Node {id} is not a member of this cluster."));
        }

        var summary = new DeliverSummary();
        string? firstProblem = null;

        // A peer's stream lasts as long as both nodes run: a stopping node ends it rather than wait for the peer.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime?.ApplicationStopping ?? CancellationToken.None);
        try
        {
            await ReadAsync(requestStream, caller, summary, problem => firstProblem ??= problem, ending.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ending.IsCancellationRequested)
        {
        }

        if (summary.Refused > 0)
        {
            Log.PeerMessagesRefused(_logger, caller.Value, (long)summary.Refused, firstProblem ?? "?");
        }

        return summary;
    }

    private async Task ReadAsync(IAsyncStreamReader<MessageBatch> requestStream, NodeId caller, DeliverSummary summary, Action<string?> refused, CancellationToken cancellation)
    {
        await foreach (var batch in requestStream.ReadAllAsync(cancellation).ConfigureAwait(false))
        {
            var accepted = new List<Message>(batch.Messages.Count);
            foreach (var wire in batch.Messages)
            {
                var message = RaftMessageCodec.TryDecode(wire, out var problem);
                if (message is not null && directory.NodeOf(message.From) != caller)
                {
                    problem = $"member {message.From} is not hosted by node {caller}";
                    message = null;
                }
                else if (message is not null && directory.NodeOf(message.To) != directory.Self)
                {
                    problem = $"member {message.To} is not hosted here";
                    message = null;
                }

                if (message is null)
                {
                    summary.Refused++;
                    refused(problem);
                    continue;
                }

                accepted.Add(message);
            }

            summary.Accepted += (ulong)accepted.Count;
            if (accepted.Count > 0)
            {
                runtime.Deliver(accepted);
            }
        }
    }
}
