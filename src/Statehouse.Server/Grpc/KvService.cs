using Grpc.Core;
using Statehouse.Core;
using Statehouse.Core.Model;
using Statehouse.Server.Cluster;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Grpc;

/// <summary>The KV service of statehouse.v1.</summary>
internal sealed class KvService(NodeGateway gateway) : V1.KV.KVBase
{
    private string NodeId => gateway.Node.NodeId;

    public override async Task<V1.GetResponse> Get(V1.GetRequest request, ServerCallContext context)
    {
        var view = await gateway.ReadViewAsync(ReadRequirement.From(request.Read), context.CancellationToken).ConfigureAwait(false);
        var revision = view.ResolveRevision(request.Revision);
        var kv = view.Get(ProtoMapper.Keyspace(request.Keyspace), RequireKey(request.Key), revision);
        var response = new V1.GetResponse { Header = ProtoMapper.Header(view, gateway.Node, revision), Found = kv is not null };
        if (kv is not null)
        {
            response.Kv = ProtoMapper.ToProto(kv);
        }

        return response;
    }

    public override async Task<V1.MultiGetResponse> MultiGet(V1.MultiGetRequest request, ServerCallContext context)
    {
        if (request.Keys.Count > gateway.Options.MaxMultiGetKeys)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, $"A multi-get may ask for at most {gateway.Options.MaxMultiGetKeys} keys.");
        }

        var view = await gateway.ReadViewAsync(ReadRequirement.From(request.Read), context.CancellationToken).ConfigureAwait(false);
        var revision = view.ResolveRevision(request.Revision);
        var keyspace = ProtoMapper.Keyspace(request.Keyspace);
        var response = new V1.MultiGetResponse { Header = ProtoMapper.Header(view, gateway.Node, revision) };
        foreach (var key in request.Keys)
        {
            if (view.Get(keyspace, RequireKey(key), revision) is { } kv)
            {
                response.Kvs.Add(ProtoMapper.ToProto(kv));
            }
        }

        return response;
    }

    public override async Task<V1.RangeResponse> Range(V1.RangeRequest request, ServerCallContext context)
    {
        gateway.CheckRangeLimit(request.Limit);
        var view = await gateway.ReadViewAsync(ReadRequirement.From(request.Read), context.CancellationToken).ConfigureAwait(false);
        var result = view.Range(ProtoMapper.Keyspace(request.Keyspace), ProtoMapper.ToCore(request));
        return ProtoMapper.ToProto(result, ProtoMapper.Header(view, gateway.Node, result.Revision));
    }

    public override async Task<V1.PutResponse> Put(V1.PutRequest request, ServerCallContext context)
    {
        RequireKey(request.Key);
        var result = await gateway.ExecuteAsync<PutResult>(ProtoMapper.ToCore(request), context.CancellationToken).ConfigureAwait(false);
        return ProtoMapper.ToProto(result, Header(result.Revision));
    }

    public override async Task<V1.DeleteResponse> Delete(V1.DeleteRequest request, ServerCallContext context)
    {
        if (!request.Prefix)
        {
            RequireKey(request.Key);
        }

        var result = await gateway.ExecuteAsync<DeleteResult>(ProtoMapper.ToCore(request), context.CancellationToken).ConfigureAwait(false);
        return ProtoMapper.ToProto(result, Header(result.Revision));
    }

    public override async Task<V1.IncrementResponse> Increment(V1.IncrementRequest request, ServerCallContext context)
    {
        RequireKey(request.Key);
        var result = await gateway.ExecuteAsync<IncrementResult>(ProtoMapper.ToCore(request), context.CancellationToken).ConfigureAwait(false);
        return new V1.IncrementResponse { Header = Header(result.Revision), Value = result.Value };
    }

    public override async Task<V1.TxnResponse> Txn(V1.TxnRequest request, ServerCallContext context)
    {
        var txn = ProtoMapper.ToCore(request);
        gateway.CheckRangeLimits(txn);
        var result = await gateway.ExecuteAsync<TxnResult>(txn, context.CancellationToken).ConfigureAwait(false);
        return ProtoMapper.ToProto(result, Header(result.Revision));
    }

    private V1.ResponseHeader Header(long revision) => ProtoMapper.Header(gateway.ReadView(), gateway.Node, revision);

    private static byte[] RequireKey(Google.Protobuf.ByteString key) =>
        key.IsEmpty ? throw new StatehouseException(ErrorCode.InvalidArgument, "Key must not be empty.") : key.ToByteArray();
}
