using Google.Protobuf;
using Statehouse.Core;
using Statehouse.Core.Model;
using Statehouse.Core.Store;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Grpc;

/// <summary>Translates between the wire contract and Core commands/results. No logic beyond translation and edge checks.</summary>
internal static class ProtoMapper
{
    public static string Keyspace(string keyspace) => string.IsNullOrEmpty(keyspace) ? KeyspaceConfig.DefaultName : keyspace;

    public static V1.ResponseHeader Header(StoreView view, string nodeId, long? revision = null) => new()
    {
        Revision = revision ?? view.Revision,
        AppliedIndex = (ulong)view.AppliedIndex,
        NodeId = nodeId,
    };

    public static V1.ResponseHeader Header(StoreView view, global::Statehouse.Cluster.StatehouseNode node, long? revision = null) => new()
    {
        Revision = revision ?? view.Revision,
        AppliedIndex = (ulong)view.AppliedIndex,
        NodeId = node.NodeId,
        RaftTerm = node.IsClustered ? (ulong)node.Term : 0,
        LeaderId = node.LeaderId ?? "",
    };

    public static V1.KeyValue ToProto(KeyValue kv) => new()
    {
        Key = UnsafeByteOperations.UnsafeWrap(kv.Key),
        Value = UnsafeByteOperations.UnsafeWrap(kv.Value),
        CreateRevision = kv.CreateRevision,
        ModRevision = kv.ModRevision,
        Version = kv.Version,
        Lease = kv.Lease,
    };

    public static Precondition ToCore(V1.Precondition? p) => p?.KindCase switch
    {
        null or V1.Precondition.KindOneofCase.None => Precondition.None,
        V1.Precondition.KindOneofCase.IfAbsent => p.IfAbsent ? Precondition.IfAbsent : Precondition.None,
        V1.Precondition.KindOneofCase.IfExists => p.IfExists ? Precondition.IfExists : Precondition.None,
        V1.Precondition.KindOneofCase.IfVersion => Precondition.IfVersion(p.IfVersion),
        V1.Precondition.KindOneofCase.IfModRevision => Precondition.IfModRevision(p.IfModRevision),
        _ => throw new StatehouseException(ErrorCode.InvalidArgument, "Unknown precondition."),
    };

    public static string? RequestId(string requestId) => string.IsNullOrEmpty(requestId) ? null : requestId;

    public static PutCommand ToCore(V1.PutRequest r) => new(Keyspace(r.Keyspace), r.Key.ToByteArray(), r.Value.ToByteArray())
    {
        Precondition = ToCore(r.Precondition),
        Lease = r.Lease,
        TtlSeconds = r.TtlSeconds,
        ReturnPrevious = r.ReturnPrevious,
        RequestId = RequestId(r.RequestId),
    };

    public static DeleteCommand ToCore(V1.DeleteRequest r) => new(Keyspace(r.Keyspace), r.Key.ToByteArray())
    {
        RangeEnd = r.RangeEnd.IsEmpty ? null : r.RangeEnd.ToByteArray(),
        Prefix = r.Prefix,
        Precondition = ToCore(r.Precondition),
        ReturnPrevious = r.ReturnPrevious,
        RequestId = RequestId(r.RequestId),
    };

    public static IncrementCommand ToCore(V1.IncrementRequest r) =>
        new(Keyspace(r.Keyspace), r.Key.ToByteArray(), r.Delta) { RequestId = RequestId(r.RequestId) };

    public static RangeQuery ToCore(V1.RangeRequest r)
    {
        var query = new RangeQuery
        {
            Prefix = r.Prefix.IsEmpty ? null : r.Prefix.ToByteArray(),
            Start = r.Start.IsEmpty ? null : r.Start.ToByteArray(),
            End = r.End.IsEmpty ? null : r.End.ToByteArray(),
            Limit = r.Limit < 0 ? throw new StatehouseException(ErrorCode.InvalidArgument, "Limit must not be negative.") : (int)Math.Min(r.Limit, int.MaxValue),
            KeysOnly = r.KeysOnly,
            CountOnly = r.CountOnly,
            Revision = r.Revision,
        };
        if (!string.IsNullOrEmpty(r.Continuation))
        {
            var (revision, lastKey) = ContinuationToken.Decode(r.Continuation);
            query = query with { After = lastKey, Revision = revision };
        }

        return query;
    }

    public static V1.RangeResponse ToProto(RangeResult result, V1.ResponseHeader header)
    {
        var response = new V1.RangeResponse { Header = header, Count = result.Count, More = result.More };
        foreach (var kv in result.Kvs)
        {
            response.Kvs.Add(ToProto(kv));
        }

        if (result.More && result.LastKey is not null)
        {
            response.Continuation = ContinuationToken.Encode(result.Revision, result.LastKey);
        }

        return response;
    }

    public static TxnCommand ToCore(V1.TxnRequest r)
    {
        var compares = r.Compares.Select(c => new Compare(
            Keyspace(c.Keyspace),
            c.Key.ToByteArray(),
            (CompareTarget)(int)c.Target,
            (CompareOp)(int)c.Op,
            c.Value.ToByteArray(),
            c.Number)).ToList();
        if (compares.Any(c => !Enum.IsDefined(c.Target) || !Enum.IsDefined(c.Op)))
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "Unknown compare target or operator.");
        }

        return new TxnCommand(compares, r.Success.Select(ToCore).ToList(), r.Failure.Select(ToCore).ToList()) { RequestId = RequestId(r.RequestId) };
    }

    private static TxnOperation ToCore(V1.TxnOp op) => op.OpCase switch
    {
        V1.TxnOp.OpOneofCase.Put => ToCore(op.Put) with { RequestId = null },
        V1.TxnOp.OpOneofCase.Delete => ToCore(op.Delete) with { RequestId = null },
        V1.TxnOp.OpOneofCase.Increment => ToCore(op.Increment) with { RequestId = null },
        V1.TxnOp.OpOneofCase.Get => new GetOperation(Keyspace(op.Get.Keyspace), op.Get.Key.ToByteArray()),
        V1.TxnOp.OpOneofCase.Range => new RangeOperation(Keyspace(op.Range.Keyspace), ToCore(op.Range)),
        _ => throw new StatehouseException(ErrorCode.InvalidArgument, "A transaction operation is empty."),
    };

    public static V1.TxnResponse ToProto(TxnResult result, V1.ResponseHeader header)
    {
        var response = new V1.TxnResponse { Header = header, Succeeded = result.Succeeded };
        foreach (var inner in result.Results)
        {
            var h = header.Clone();
            response.Results.Add(inner switch
            {
                PutResult p => new V1.TxnOpResult { Put = ToProto(p, h) },
                DeleteResult d => new V1.TxnOpResult { Delete = ToProto(d, h) },
                IncrementResult i => new V1.TxnOpResult { Increment = new V1.IncrementResponse { Header = h, Value = i.Value } },
                GetResult g => new V1.TxnOpResult { Get = ToProto(g, h) },
                RangeResult r => new V1.TxnOpResult { Range = ToProto(r, h) },
                _ => throw new InvalidOperationException($"Unexpected result {inner.GetType().Name} in a transaction."),
            });
        }

        return response;
    }

    public static V1.PutResponse ToProto(PutResult result, V1.ResponseHeader header)
    {
        var response = new V1.PutResponse { Header = header, Lease = result.Lease, HadPrevious = result.Previous is not null };
        if (result.Previous is { } previous)
        {
            response.Previous = ToProto(previous);
        }

        return response;
    }

    public static V1.DeleteResponse ToProto(DeleteResult result, V1.ResponseHeader header)
    {
        var response = new V1.DeleteResponse { Header = header, Deleted = result.Deleted };
        response.Previous.AddRange(result.Previous.Select(ToProto));
        return response;
    }

    public static V1.GetResponse ToProto(GetResult result, V1.ResponseHeader header)
    {
        var response = new V1.GetResponse { Header = header, Found = result.Kv is not null };
        if (result.Kv is { } kv)
        {
            response.Kv = ToProto(kv);
        }

        return response;
    }
}
