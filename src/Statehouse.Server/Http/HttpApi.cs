using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using Statehouse.Core;
using Statehouse.Core.Model;

using Statehouse.Server.Cluster;

namespace Statehouse.Server.Http;

/// <summary>
/// The HTTP/JSON API. Routes are chosen so key text can never collide with them: a key is always everything after
/// <c>/v1/kv/{keyspace}/</c> (or <c>/v1/incr/{keyspace}/</c>), and every other route lives under its own prefix.
/// </summary>
internal static partial class HttpApi
{
    public const string RevisionHeader = "X-Statehouse-Revision";
    public const string NodeHeader = "X-Statehouse-Node";
    public const string LeaderHeader = "X-Statehouse-Leader";
    public const string IdempotencyHeader = "Idempotency-Key";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/kv/{keyspace}/{**key}", GetKeyAsync);
        app.MapMethods("/v1/kv/{keyspace}/{**key}", ["HEAD"], GetKeyAsync);
        app.MapPut("/v1/kv/{keyspace}/{**key}", PutKeyAsync);
        app.MapDelete("/v1/kv/{keyspace}/{**key}", DeleteKeyAsync);
        app.MapGet("/v1/kv/{keyspace}", ListAsync);
        app.MapDelete("/v1/kv/{keyspace}", DeleteRangeAsync);
        app.MapPost("/v1/mget/{keyspace}", MultiGetAsync);
        app.MapPost("/v1/incr/{keyspace}/{**key}", IncrementAsync);
        app.MapPost("/v1/txn", TxnAsync);
        MapLeases(app);
        MapAdmin(app);
        MapCluster(app);
        app.MapGet("/v1/watch/{keyspace}", WatchAsync);
    }

    private static void Stamp(HttpContext context, NodeGateway gateway, long revision)
    {
        var text = revision.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers[RevisionHeader] = text;
        context.Response.Headers[NodeHeader] = gateway.Node.NodeId;
        if (gateway.Node.IsClustered)
        {
            // The session token: send it back with session reads (read-your-writes on any replica).
            context.Response.Headers[ReadRequirement.SessionHeader] = text;
            if (gateway.LeaderIdHint is { } leader)
            {
                context.Response.Headers[LeaderHeader] = leader;
            }
        }
    }

    /// <summary>The freshness a read asks for: <c>?consistency=</c>, <c>?maxStalenessMs=</c>, session header.</summary>
    private static ValueTask<Core.Store.StoreView> ReadViewAsync(HttpContext context, NodeGateway gateway) =>
        gateway.ReadViewAsync(
            ReadRequirement.FromHttp(context.Request.Query["consistency"], context.Request.Query["maxStalenessMs"], context.Request.Headers[ReadRequirement.SessionHeader]),
            context.RequestAborted);

    private static string Etag(long modRevision) => $"\"{modRevision.ToString(CultureInfo.InvariantCulture)}\"";

    private static long QueryLong(HttpContext context, string name, long fallback = 0)
    {
        var text = context.Request.Query[name].ToString();
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new StatehouseException(ErrorCode.InvalidArgument, $"Query parameter '{name}' must be an integer.");
    }

    private static bool QueryBool(HttpContext context, string name)
    {
        var text = context.Request.Query[name].ToString();
        return text.Length != 0 && (text is "1" or "true" or "True" ? true : text is "0" or "false" or "False" ? false
            : throw new StatehouseException(ErrorCode.InvalidArgument, $"Query parameter '{name}' must be true or false."));
    }

    private static byte[]? QueryBytes(HttpContext context, string name)
    {
        var text = context.Request.Query[name].ToString();
        var b64 = context.Request.Query[name + "Base64"].ToString();
        if (b64.Length > 0)
        {
            try
            {
                return Convert.FromBase64String(b64);
            }
            catch (FormatException)
            {
                throw new StatehouseException(ErrorCode.InvalidArgument, $"Query parameter '{name}Base64' is not base64.");
            }
        }

        return text.Length == 0 ? null : Encoding.UTF8.GetBytes(text);
    }

    private static async Task GetKeyAsync(HttpContext context, string keyspace, NodeGateway gateway)
    {
        var key = RawPath.KeyAfterSegments(context, 3);
        var view = await ReadViewAsync(context, gateway).ConfigureAwait(false);
        var revision = view.ResolveRevision(QueryLong(context, "revision"));
        var kv = view.Get(keyspace, key, revision);
        Stamp(context, gateway, revision);
        if (kv is null)
        {
            throw new StatehouseException(ErrorCode.NotFound, $"Key not found in keyspace '{keyspace}'.");
        }

        var etag = Etag(kv.ModRevision);
        context.Response.Headers.ETag = etag;
        context.Response.Headers["X-Statehouse-Create-Revision"] = kv.CreateRevision.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["X-Statehouse-Mod-Revision"] = kv.ModRevision.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["X-Statehouse-Version"] = kv.Version.ToString(CultureInfo.InvariantCulture);
        if (kv.Lease != 0)
        {
            context.Response.Headers["X-Statehouse-Lease"] = kv.Lease.ToString(CultureInfo.InvariantCulture);
        }

        if (context.Request.Headers.IfNoneMatch.Any(v => v == etag))
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = kv.Value.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(kv.Value, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads the whole body, bounded by the value limit (Kestrel enforces the request limit too). A body over it is
    /// 413 InvalidArgument, refused before it is read (declared length) or as soon as it passes the limit (chunked).
    /// </summary>
    private static async Task<byte[]> ReadBodyAsync(HttpContext context, long limit)
    {
        if (context.Request.ContentLength is { } declared)
        {
            if (declared > limit)
            {
                throw new BadHttpRequestException($"The body is {declared} bytes; the limit is {limit}.", StatusCodes.Status413PayloadTooLarge);
            }

            // Known length: read straight into the value array.
            var value = new byte[declared];
            await context.Request.Body.ReadExactlyAsync(value, context.RequestAborted).ConfigureAwait(false);
            return value;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new BadHttpRequestException($"The body exceeds the limit of {limit} bytes.", StatusCodes.Status413PayloadTooLarge);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>If-Match: "modRevision" (or *) and If-None-Match: * as a precondition.</summary>
    private static Precondition ParsePrecondition(HttpContext context, NodeGateway gateway, string keyspace, byte[] key)
    {
        var ifMatch = context.Request.Headers.IfMatch.ToString();
        var ifNoneMatch = context.Request.Headers.IfNoneMatch.ToString();
        if (ifMatch.Length > 0 && ifNoneMatch.Length > 0)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "Send If-Match or If-None-Match, not both.");
        }

        if (ifNoneMatch.Length > 0)
        {
            return ifNoneMatch.Trim() == "*"
                ? Precondition.IfAbsent
                : throw new StatehouseException(ErrorCode.InvalidArgument, "If-None-Match on a write supports only *.");
        }

        if (ifMatch.Length == 0)
        {
            return Precondition.None;
        }

        var tag = ifMatch.Trim();
        if (tag == "*")
        {
            return Precondition.IfExists;
        }

        var weak = tag.StartsWith("W/", StringComparison.Ordinal);
        if (weak)
        {
            tag = tag[2..];
        }

        if (tag.Length < 3 || tag[0] != '"' || tag[^1] != '"'
            || !long.TryParse(tag.AsSpan(1, tag.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var revision))
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "If-Match must be one quoted mod revision (an ETag from GET) or *.");
        }

        if (weak)
        {
            // If-Match uses the strong comparison (RFC 9110 §13.1.1): a weak tag never matches, so the condition is
            // false and the write is not performed. The current revision is this node's view (a hint, as on any 412).
            var current = gateway.ReadView().Get(keyspace, key)?.ModRevision ?? 0;
            throw new StatehouseException(ErrorCode.PreconditionFailed, "If-Match compares strongly (RFC 9110): a weak ETag (W/\"...\") never matches; send the ETag from GET as is.")
            {
                CurrentRevision = current,
            };
        }

        return Precondition.IfModRevision(revision);
    }

    /// <summary>The Idempotency-Key: one field line holding one key, else InvalidArgument.</summary>
    private static string? RequestId(HttpContext context)
    {
        var values = context.Request.Headers[IdempotencyHeader];
        if (values.Count > 1)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, $"Send one {IdempotencyHeader} header, not {values.Count}: which one would be the request id?");
        }

        var id = values.ToString();
        if (id.Contains(',', StringComparison.Ordinal))
        {
            // An intermediary may join repeated field lines with commas (RFC 9110 §5.3): refuse what may be two keys.
            throw new StatehouseException(ErrorCode.InvalidArgument, $"{IdempotencyHeader} must not hold a comma (it may be two keys joined by a proxy).");
        }

        return id.Length == 0 ? null : id;
    }

    private static async Task PutKeyAsync(HttpContext context, string keyspace, NodeGateway gateway)
    {
        var key = RawPath.KeyAfterSegments(context, 3);
        var precondition = ParsePrecondition(context, gateway, keyspace, key);
        var value = await ReadBodyAsync(context, gateway.Options.Limits.MaxValueBytes).ConfigureAwait(false);
        if (value.Length == 0 && !QueryBool(context, "allowEmpty"))
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "The body is empty; send the value (or add ?allowEmpty=true to store an empty value).");
        }

        var command = new PutCommand(keyspace, key, value)
        {
            Precondition = precondition,
            TtlSeconds = QueryLong(context, "ttl"),
            Lease = QueryLong(context, "lease"),
            ReturnPrevious = QueryBool(context, "prevKv"),
            RequestId = RequestId(context),
        };
        var result = await gateway.ExecuteAsync<PutResult>(command, context.RequestAborted).ConfigureAwait(false);
        Stamp(context, gateway, result.Revision);
        context.Response.Headers.ETag = Etag(result.Revision);
        await context.Response.WriteAsJsonAsync(
            new PutJson(result.Revision, result.Lease == 0 ? null : result.Lease, result.Previous is null ? null : HttpJson.ToJson(result.Previous)),
            HttpJson.Options,
            context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task DeleteKeyAsync(HttpContext context, string keyspace, NodeGateway gateway)
    {
        var key = RawPath.KeyAfterSegments(context, 3);
        var command = new DeleteCommand(keyspace, key)
        {
            Precondition = ParsePrecondition(context, gateway, keyspace, key),
            ReturnPrevious = QueryBool(context, "prevKv"),
            RequestId = RequestId(context),
        };
        var result = await gateway.ExecuteAsync<DeleteResult>(command, context.RequestAborted).ConfigureAwait(false);
        Stamp(context, gateway, result.Revision);
        if (result.Deleted == 0)
        {
            throw new StatehouseException(ErrorCode.NotFound, $"Key not found in keyspace '{keyspace}'.");
        }

        await context.Response.WriteAsJsonAsync(ToJson(result), HttpJson.Options, context.RequestAborted).ConfigureAwait(false);
    }

    private static DeleteJson ToJson(DeleteResult result) =>
        new(result.Revision, result.Deleted, result.Previous.Count == 0 ? null : result.Previous.Select(kv => HttpJson.ToJson(kv)).ToList());

    private static async Task DeleteRangeAsync(HttpContext context, string keyspace, NodeGateway gateway)
    {
        var prefix = QueryBytes(context, "prefix");
        var start = QueryBytes(context, "start");
        var end = QueryBytes(context, "end");
        var all = QueryBool(context, "all");
        DeleteCommand command;
        if (prefix is not null)
        {
            command = new DeleteCommand(keyspace, prefix) { Prefix = true };
        }
        else if (start is not null)
        {
            command = new DeleteCommand(keyspace, start) { RangeEnd = end ?? [] };
        }
        else if (all)
        {
            command = new DeleteCommand(keyspace, []) { Prefix = true };
        }
        else
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "A range delete needs ?prefix=, ?start=[&end=], or ?all=true.");
        }

        command = command with { ReturnPrevious = QueryBool(context, "prevKv"), RequestId = RequestId(context) };
        var result = await gateway.ExecuteAsync<DeleteResult>(command, context.RequestAborted).ConfigureAwait(false);
        Stamp(context, gateway, result.Revision);
        await context.Response.WriteAsJsonAsync(ToJson(result), HttpJson.Options, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task ListAsync(HttpContext context, string keyspace, NodeGateway gateway)
    {
        var limit = QueryLong(context, "limit");
        if (limit < 0)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "limit must not be negative.");
        }

        gateway.CheckRangeLimit(limit);

        var query = new RangeQuery
        {
            Prefix = QueryBytes(context, "prefix"),
            Start = QueryBytes(context, "start"),
            End = QueryBytes(context, "end"),
            Limit = (int)Math.Min(limit, int.MaxValue),
            KeysOnly = QueryBool(context, "keysOnly"),
            CountOnly = QueryBool(context, "countOnly"),
            Revision = QueryLong(context, "revision"),
        };
        var after = context.Request.Query["after"].ToString();
        if (after.Length > 0)
        {
            var (revision, lastKey) = ContinuationToken.Decode(after);
            query = query with { After = lastKey, Revision = revision };
        }

        var view = await ReadViewAsync(context, gateway).ConfigureAwait(false);
        var result = view.Range(keyspace, query);
        Stamp(context, gateway, result.Revision);
        var items = result.Kvs.Select(kv => HttpJson.ToJson(kv, !query.KeysOnly)).ToList();
        var continuation = result.More && result.LastKey is not null ? ContinuationToken.Encode(result.Revision, result.LastKey) : null;
        await context.Response.WriteAsJsonAsync(new ListJson(result.Revision, items, result.Count, result.More, continuation), HttpJson.Options, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task MultiGetAsync(HttpContext context, string keyspace, NodeGateway gateway)
    {
        var body = await ReadJsonAsync<MultiGetJson>(context).ConfigureAwait(false)
            ?? throw new StatehouseException(ErrorCode.InvalidArgument, "A JSON body with keys is required.");
        var keys = (body.Keys ?? []).Select(k => Encoding.UTF8.GetBytes(k))
            .Concat((body.KeysBase64 ?? []).Select(DecodeBase64)).ToList();
        if (keys.Count == 0 || keys.Count > gateway.Options.MaxMultiGetKeys)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, $"A multi-get asks for 1..{gateway.Options.MaxMultiGetKeys} keys.");
        }

        var view = await ReadViewAsync(context, gateway).ConfigureAwait(false);
        var revision = view.ResolveRevision(body.Revision ?? 0);
        var items = new List<KvJson>();
        foreach (var key in keys)
        {
            if (key.Length == 0)
            {
                throw new StatehouseException(ErrorCode.InvalidArgument, "Key must not be empty.");
            }

            if (view.Get(keyspace, key, revision) is { } kv)
            {
                items.Add(HttpJson.ToJson(kv));
            }
        }

        Stamp(context, gateway, revision);
        await context.Response.WriteAsJsonAsync(new ListJson(revision, items, items.Count, false, null), HttpJson.Options, context.RequestAborted).ConfigureAwait(false);
    }

    private static byte[] DecodeBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "A base64 field is not valid base64.");
        }
    }

    private static async Task IncrementAsync(HttpContext context, string keyspace, NodeGateway gateway)
    {
        var key = RawPath.KeyAfterSegments(context, 3);
        var command = new IncrementCommand(keyspace, key, QueryLong(context, "delta", 1)) { RequestId = RequestId(context) };
        var result = await gateway.ExecuteAsync<IncrementResult>(command, context.RequestAborted).ConfigureAwait(false);
        Stamp(context, gateway, result.Revision);
        await context.Response.WriteAsJsonAsync(new IncrementJson(result.Value, result.Revision), HttpJson.Options, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Reads a JSON body; a body of another content type is InvalidArgument (415).</summary>
    private static async Task<T?> ReadJsonAsync<T>(HttpContext context)
    {
        if (!context.Request.HasJsonContentType())
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "The body must be JSON (Content-Type: application/json).");
        }

        return await context.Request.ReadFromJsonAsync<T>(HttpJson.Options, context.RequestAborted).ConfigureAwait(false);
    }
}
