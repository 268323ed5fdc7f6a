using System.Text;
using Microsoft.AspNetCore.Http;
using Statehouse.Core;
using Statehouse.Core.Model;

namespace Statehouse.Server.Http;

internal static partial class HttpApi
{
    private static async Task TxnAsync(HttpContext context, NodeGateway gateway)
    {
        var body = await ReadJsonAsync<TxnJson>(context).ConfigureAwait(false)
            ?? throw new StatehouseException(ErrorCode.InvalidArgument, "A JSON transaction body is required.");
        var compares = (body.Compare ?? []).Select(ToCompare).ToList();
        var success = (body.Success ?? []).Select(ToOperation).ToList();
        var failure = (body.Failure ?? []).Select(ToOperation).ToList();
        if (compares.Count == 0 && success.Count == 0 && failure.Count == 0)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "The transaction is empty.");
        }

        var command = new TxnCommand(compares, success, failure) { RequestId = body.RequestId ?? RequestId(context) };
        gateway.CheckRangeLimits(command);
        var result = await gateway.ExecuteAsync<TxnResult>(command, context.RequestAborted).ConfigureAwait(false);
        Stamp(context, gateway, result.Revision);
        var results = result.Results.Select(r => r switch
        {
            PutResult p => new TxnOpResultJson("put", p.Revision, Previous: p.Previous is null ? null : HttpJson.ToJson(p.Previous)),
            DeleteResult d => new TxnOpResultJson("delete", d.Revision, Deleted: d.Deleted),
            IncrementResult i => new TxnOpResultJson("incr", i.Revision, Value: i.Value),
            GetResult g => new TxnOpResultJson("get", g.Revision, Kv: g.Kv is null ? null : HttpJson.ToJson(g.Kv)),
            RangeResult rr => new TxnOpResultJson("range", rr.Revision, Kvs: rr.Kvs.Select(kv => HttpJson.ToJson(kv)).ToList(), More: rr.More),
            _ => throw new InvalidOperationException($"Unexpected result {r.GetType().Name}."),
        }).ToList();
        await context.Response.WriteAsJsonAsync(new TxnResultJson(result.Revision, result.Succeeded, results), HttpJson.Options, context.RequestAborted).ConfigureAwait(false);
    }

    private static string Ks(string? keyspace) => string.IsNullOrEmpty(keyspace) ? KeyspaceConfig.DefaultName : keyspace;

    private static byte[] Bytes(string? text, string? base64, string field, bool required)
    {
        if (base64 is not null)
        {
            return DecodeBase64(base64);
        }

        if (text is not null)
        {
            return Encoding.UTF8.GetBytes(text);
        }

        return required ? throw new StatehouseException(ErrorCode.InvalidArgument, $"'{field}' is required.") : [];
    }

    private static Compare ToCompare(TxnCompareJson c)
    {
        var target = c.Target switch
        {
            "value" => CompareTarget.Value,
            "version" => CompareTarget.Version,
            "modRevision" => CompareTarget.ModRevision,
            "createRevision" => CompareTarget.CreateRevision,
            "exists" => CompareTarget.Exists,
            "lease" => CompareTarget.Lease,
            _ => throw new StatehouseException(ErrorCode.InvalidArgument, "compare.target must be value, version, modRevision, createRevision, exists or lease."),
        };
        var op = c.Op switch
        {
            "==" or "eq" or "=" => CompareOp.Equal,
            "!=" or "ne" => CompareOp.NotEqual,
            "<" or "lt" => CompareOp.Less,
            ">" or "gt" => CompareOp.Greater,
            null when target == CompareTarget.Exists => CompareOp.Equal,
            _ => throw new StatehouseException(ErrorCode.InvalidArgument, "compare.op must be ==, !=, < or >."),
        };
        var key = Bytes(c.Key, c.KeyBase64, "compare.key", true);
        if (target == CompareTarget.Value)
        {
            return new Compare(Ks(c.Keyspace), key, target, op, Bytes(c.Value, c.ValueBase64, "compare.value", true));
        }

        var number = c.Number ?? (target == CompareTarget.Exists ? 1 : throw new StatehouseException(ErrorCode.InvalidArgument, "compare.number is required for this target."));
        return new Compare(Ks(c.Keyspace), key, target, op, null, number);
    }

    private static TxnOperation ToOperation(TxnOpJson op)
    {
        var set = (op.Put is null ? 0 : 1) + (op.Delete is null ? 0 : 1) + (op.Get is null ? 0 : 1) + (op.Increment is null ? 0 : 1) + (op.Range is null ? 0 : 1);
        if (set != 1)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "Each transaction operation holds exactly one of put, delete, get, incr, range.");
        }

        if (op.Put is { } put)
        {
            return new PutCommand(Ks(put.Keyspace), Bytes(put.Key, put.KeyBase64, "put.key", true), Bytes(put.Value, put.ValueBase64, "put.value", true))
            {
                Lease = put.Lease ?? 0,
                TtlSeconds = put.Ttl ?? 0,
                ReturnPrevious = put.PrevKv ?? false,
            };
        }

        if (op.Delete is { } delete)
        {
            return new DeleteCommand(Ks(delete.Keyspace), Bytes(delete.Key, delete.KeyBase64, "delete.key", delete.Prefix != true))
            {
                Prefix = delete.Prefix ?? false,
                RangeEnd = delete.RangeEnd is null ? null : Encoding.UTF8.GetBytes(delete.RangeEnd),
                ReturnPrevious = delete.PrevKv ?? false,
            };
        }

        if (op.Get is { } get)
        {
            return new GetOperation(Ks(get.Keyspace), Bytes(get.Key, get.KeyBase64, "get.key", true));
        }

        if (op.Increment is { } incr)
        {
            return new IncrementCommand(Ks(incr.Keyspace), Bytes(incr.Key, incr.KeyBase64, "incr.key", true), incr.Delta ?? 1);
        }

        var range = op.Range!;
        return new RangeOperation(Ks(range.Keyspace), new RangeQuery
        {
            Prefix = range.Prefix is null ? null : Encoding.UTF8.GetBytes(range.Prefix),
            Start = range.Start is null ? null : Encoding.UTF8.GetBytes(range.Start),
            End = range.End is null ? null : Encoding.UTF8.GetBytes(range.End),
            Limit = range.Limit ?? 0,
            KeysOnly = range.KeysOnly ?? false,
        });
    }
}
