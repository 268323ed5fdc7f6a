using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Statehouse.Core;
using Statehouse.Core.Model;
using Statehouse.Core.Store;

namespace Statehouse.Server.Http;

internal static partial class HttpApi
{
    /// <summary>
    /// Server-sent events: one message per revision (<c>id: R</c>, <c>event: change</c>) holding all its matching events,
    /// and <c>event: progress</c> messages when idle. A reconnecting EventSource sends Last-Event-ID and resumes at R+1:
    /// no gap, no duplicate.
    /// </summary>
    private static async Task WatchAsync(HttpContext context, string keyspace, NodeGateway gateway)
    {
        var prefix = QueryBytes(context, "prefix");
        var key = QueryBytes(context, "key");
        var end = QueryBytes(context, "end");
        var filter = prefix is not null
            ? new WatchFilter(keyspace, prefix, null, true)
            : key is not null
                ? new WatchFilter(keyspace, key, end, false)
                : new WatchFilter(keyspace, [], null, true);
        var from = QueryLong(context, "fromRevision");
        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString();
        if (lastEventId.Length > 0)
        {
            // Only ids this API sent (revisions, >= 0) resume a stream; anything else was silently "from now" before.
            if (!long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out var last) || last == long.MaxValue)
            {
                throw new StatehouseException(ErrorCode.InvalidArgument, "Last-Event-ID must be the id of a message of this stream (a revision).");
            }

            from = last + 1;
        }

        var prevKv = QueryBool(context, "prevKv");
        var progressMs = QueryLong(context, "progressMs", gateway.Options.WatchProgressIntervalMs);
        var interval = TimeSpan.FromMilliseconds(Math.Clamp(progressMs, 100, 3_600_000));

        await using var stream = WatchStream.RunAsync(gateway, filter, from, interval, context.Connection.Id, context.RequestAborted).GetAsyncEnumerator(context.RequestAborted);

        // Start the watch before answering so a compacted or unknown start is a proper problem+json response.
        if (!await stream.MoveNextAsync().ConfigureAwait(false))
        {
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        Stamp(context, gateway, stream.Current.Revision);
        var body = context.Response.Body;
        var pending = new List<WatchEvent>();
        try
        {
            do
            {
                var batch = stream.Current;
                if (batch.Fragment)
                {
                    // Hold a revision until it is whole: Last-Event-ID must never split one.
                    pending.AddRange(batch.Events);
                    continue;
                }

                if (pending.Count > 0)
                {
                    pending.AddRange(batch.Events);
                    batch = batch with { Events = pending.ToList() };
                    pending.Clear();
                }

                var text = new StringBuilder();
                if (batch.Progress)
                {
                    text.Append("id: ").Append(batch.Revision.ToString(CultureInfo.InvariantCulture)).Append('\n')
                        .Append("event: progress\n")
                        .Append("data: {\"revision\":").Append(batch.Revision.ToString(CultureInfo.InvariantCulture)).Append("}\n\n");
                }
                else
                {
                    // One message per revision, so Last-Event-ID never splits a revision.
                    foreach (var group in batch.Events.GroupBy(e => e.Revision))
                    {
                        var events = group.Select(e => new WatchEventJson(
                            e.Kind switch { ChangeKind.Put => "put", ChangeKind.Delete => "delete", _ => "expire" },
                            e.Current.IsTombstone
                                ? HttpJson.ToJson(new KeyValue(e.Key, [], 0, e.Revision, 0, 0), false)
                                : HttpJson.ToJson(KeyValue.From(e.Key, e.Current)),
                            prevKv && e.PreviousKv is { } p ? HttpJson.ToJson(p) : null)).ToList();
                        text.Append("id: ").Append(group.Key.ToString(CultureInfo.InvariantCulture)).Append('\n')
                            .Append("event: change\n")
                            .Append("data: ").Append(JsonSerializer.Serialize(new WatchMessageJson(group.Key, events), HttpJson.Options)).Append("\n\n");
                    }
                }

                await body.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()), context.RequestAborted).ConfigureAwait(false);
                await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }
            while (await stream.MoveNextAsync().ConfigureAwait(false));
        }
        catch (StatehouseException ex)
        {
            // The stream already started: report in-band, then end it.
            var problem = JsonSerializer.Serialize(new { code = ex.Code.ToString(), detail = ex.Message, compactRevision = ex.CompactRevision }, HttpJson.Options);
            await body.WriteAsync(Encoding.UTF8.GetBytes($"event: error\ndata: {problem}\n\n"), CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client disconnected.
        }
    }
}
