using System.Text;
using Grpc.Core;
using Statehouse.Core;
using Statehouse.Core.Model;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Grpc;

/// <summary>The Lease service: grant, revoke, keep-alive (stream and once), time-to-live, list.</summary>
internal sealed class LeaseService(NodeGateway gateway) : V1.Lease.LeaseBase
{
    private string NodeId => gateway.Node.NodeId;

    public override async Task<V1.LeaseGrantResponse> Grant(V1.LeaseGrantRequest request, ServerCallContext context)
    {
        var result = await gateway.ExecuteAsync<LeaseGrantResult>(
            new LeaseGrantCommand(request.Id, request.TtlSeconds) { RequestId = ProtoMapper.RequestId(request.RequestId) },
            context.CancellationToken).ConfigureAwait(false);
        return new V1.LeaseGrantResponse { Header = Header(result.Revision), Id = result.LeaseId, TtlSeconds = result.TtlSeconds };
    }

    public override async Task<V1.LeaseRevokeResponse> Revoke(V1.LeaseRevokeRequest request, ServerCallContext context)
    {
        var result = await gateway.ExecuteAsync<LeaseRevokeResult>(
            new LeaseRevokeCommand(request.Id) { RequestId = ProtoMapper.RequestId(request.RequestId) },
            context.CancellationToken).ConfigureAwait(false);
        return new V1.LeaseRevokeResponse { Header = Header(result.Revision), KeysDeleted = result.KeysDeleted };
    }

    public override async Task KeepAlive(IAsyncStreamReader<V1.LeaseKeepAliveRequest> requestStream, IServerStreamWriter<V1.LeaseKeepAliveResponse> responseStream, ServerCallContext context)
    {
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            // A lease that is gone answers ttl 0 on the stream (as etcd does) rather than ending it.
            long ttl;
            try
            {
                ttl = await gateway.KeepAliveAsync(request.Id, context.CancellationToken).ConfigureAwait(false);
            }
            catch (StatehouseException ex) when (ex.Code == ErrorCode.NotFound)
            {
                ttl = 0;
            }

            await responseStream.WriteAsync(new V1.LeaseKeepAliveResponse { Header = Header(null), Id = request.Id, TtlSeconds = ttl }, context.CancellationToken).ConfigureAwait(false);
        }
    }

    public override async Task<V1.LeaseKeepAliveResponse> KeepAliveOnce(V1.LeaseKeepAliveRequest request, ServerCallContext context)
    {
        var ttl = await gateway.KeepAliveAsync(request.Id, context.CancellationToken).ConfigureAwait(false);
        return new V1.LeaseKeepAliveResponse { Header = Header(null), Id = request.Id, TtlSeconds = ttl };
    }

    public override async Task<V1.LeaseTimeToLiveResponse> TimeToLive(V1.LeaseTimeToLiveRequest request, ServerCallContext context)
    {
        var ttlOnLeader = await gateway.TimeToLiveAsync(request.Id, context.CancellationToken).ConfigureAwait(false);
        var view = gateway.ReadView();
        var response = new V1.LeaseTimeToLiveResponse { Header = ProtoMapper.Header(view, gateway.Node), Id = request.Id, TtlSeconds = -1 };
        if (ttlOnLeader is { } ttl)
        {
            response.TtlSeconds = ttl.RemainingSeconds;
            response.GrantedTtlSeconds = ttl.GrantedSeconds;
            if (request.Keys && view.Leases.TryGetValue(request.Id, out var lease))
            {
                response.Keys.AddRange(lease.Keys.Select(k => $"{k.Keyspace}/{KeyText(k.Key)}").Order(StringComparer.Ordinal));
            }
        }

        return response;
    }

    public override Task<V1.LeaseListResponse> List(V1.LeaseListRequest request, ServerCallContext context)
    {
        var view = gateway.ReadView();
        var response = new V1.LeaseListResponse { Header = ProtoMapper.Header(view, NodeId) };
        response.Ids.AddRange(view.Leases.Keys.Order());
        return Task.FromResult(response);
    }

    /// <summary>A key as text: UTF-8 where valid, else "b64:" and base64.</summary>
    internal static string KeyText(byte[] key)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(key);
        }
        catch (DecoderFallbackException)
        {
            return "b64:" + Convert.ToBase64String(key);
        }
    }

    private V1.ResponseHeader Header(long? revision) => ProtoMapper.Header(gateway.ReadView(), gateway.Node, revision);
}
