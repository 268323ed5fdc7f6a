using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using V1 = Statehouse.V1;

namespace Statehouse.IntegrationTests.Adversarial;

/// <summary>
/// The low-severity probes of issue 11, item 5: each asserts the answer the API now gives (docs/adversarial.md) and
/// that no acknowledged write was lost on the way.
/// </summary>
[Collection(AdversarialCollection.Name)]
public sealed class Item5ProbeTests(AdversarialNode node)
{
    private readonly HttpClient _http = node.Http;

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(code, problem.GetProperty("code").GetString());
        return problem;
    }

    private async Task<long> CompactRevisionAsync() =>
        JsonDocument.Parse(await _http.GetStringAsync("/v1/status")).RootElement.GetProperty("compactRevision").GetInt64();

    private static void AssertRpc(RpcException ex, StatusCode status, string code)
    {
        Assert.Equal(status, ex.StatusCode);
        Assert.Equal(code, ex.Trailers.GetValue("statehouse-code"));
    }

    [Fact]
    public async Task Compact_Refuses400AndKeepsHistory_WhenRevisionIsZeroOrNegative()
    {
        var first = await node.Ledger.PutAsync("compact");
        await node.Ledger.PutAsync("compact");
        var before = await CompactRevisionAsync();
        foreach (var revision in new[] { "-1", "0", "-9223372036854775808" })
        {
            using var response = await _http.PostAsync($"/v1/compact?revision={revision}", null);
            await ProblemAsync(response, HttpStatusCode.BadRequest, "InvalidArgument");
        }

        var rpc = await Assert.ThrowsAsync<RpcException>(async () =>
            await new V1.Maintenance.MaintenanceClient(node.Grpc).CompactAsync(new V1.CompactRequest { Revision = -1 }));
        AssertRpc(rpc, StatusCode.InvalidArgument, "InvalidArgument");

        Assert.Equal(before, await CompactRevisionAsync());
        using var old = await _http.GetAsync($"/v1/kv/default/does-not-matter?revision={first}");
        Assert.Equal(HttpStatusCode.NotFound, old.StatusCode); // the old revision is still readable: not Compacted (410)
        await node.Ledger.VerifyAsync();
    }

    [Fact]
    public async Task Reads_Refuse400_WhenRevisionIsNegative_AndZeroMeansLatest()
    {
        await node.Ledger.PutAsync("rev");
        const string key = "rev-probe";
        using (var put = await _http.PutAsync($"/v1/kv/default/{key}", new StringContent("x")))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using (var latest = await _http.GetAsync($"/v1/kv/default/{key}?revision=0"))
        {
            Assert.Equal(HttpStatusCode.OK, latest.StatusCode);
        }

        foreach (var url in new[] { $"/v1/kv/default/{key}?revision=-1", "/v1/kv/default?prefix=rev&revision=-1" })
        {
            using var response = await _http.GetAsync(url);
            await ProblemAsync(response, HttpStatusCode.BadRequest, "InvalidArgument");
        }

        using (var mget = await _http.PostAsync("/v1/mget/default", new StringContent($"{{\"keys\":[\"{key}\"],\"revision\":-1}}", Encoding.UTF8, "application/json")))
        {
            await ProblemAsync(mget, HttpStatusCode.BadRequest, "InvalidArgument");
        }

        var kv = new V1.KV.KVClient(node.Grpc);
        AssertRpc(await Assert.ThrowsAsync<RpcException>(async () => await kv.GetAsync(new V1.GetRequest { Key = ByteString.CopyFromUtf8(key), Revision = -1 })), StatusCode.InvalidArgument, "InvalidArgument");
        AssertRpc(await Assert.ThrowsAsync<RpcException>(async () => await kv.RangeAsync(new V1.RangeRequest { Prefix = ByteString.CopyFromUtf8("rev"), Revision = -1 })), StatusCode.InvalidArgument, "InvalidArgument");
        Assert.True((await kv.GetAsync(new V1.GetRequest { Key = ByteString.CopyFromUtf8(key), Revision = 0 })).Found);
        await node.Ledger.VerifyAsync();
    }

    [Fact]
    public async Task Write_Answers412AndChangesNothing_WhenIfMatchIsWeak()
    {
        const string key = "weak-etag";
        using var put = await _http.PutAsync($"/v1/kv/default/{key}", new StringContent("v1"));
        var revision = JsonDocument.Parse(await put.Content.ReadAsStringAsync()).RootElement.GetProperty("revision").GetInt64();

        using var weakPut = new HttpRequestMessage(HttpMethod.Put, $"/v1/kv/default/{key}") { Content = new StringContent("v2") };
        weakPut.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{revision}\"", isWeak: true));
        using (var response = await _http.SendAsync(weakPut))
        {
            var problem = await ProblemAsync(response, HttpStatusCode.PreconditionFailed, "PreconditionFailed");
            Assert.Equal(revision, problem.GetProperty("currentRevision").GetInt64());
        }

        using var weakDelete = new HttpRequestMessage(HttpMethod.Delete, $"/v1/kv/default/{key}");
        weakDelete.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{revision}\"", isWeak: true));
        using (var response = await _http.SendAsync(weakDelete))
        {
            await ProblemAsync(response, HttpStatusCode.PreconditionFailed, "PreconditionFailed");
        }

        using var get = await _http.GetAsync($"/v1/kv/default/{key}");
        Assert.Equal("v1", await get.Content.ReadAsStringAsync());
        Assert.Equal($"\"{revision}\"", get.Headers.ETag?.Tag);

        // The strong tag still matches.
        using var strong = new HttpRequestMessage(HttpMethod.Put, $"/v1/kv/default/{key}") { Content = new StringContent("v3") };
        strong.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{revision}\""));
        using (var response = await _http.SendAsync(strong))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Watch_Refuses400AndInvalidArgument_WhenCursorIsNegativeOrMalformed()
    {
        await node.Ledger.PutAsync("watch-neg");
        using (var response = await _http.GetAsync("/v1/watch/default?fromRevision=-1", HttpCompletionOption.ResponseHeadersRead))
        {
            await ProblemAsync(response, HttpStatusCode.BadRequest, "InvalidArgument");
        }

        foreach (var lastEventId in new[] { "-5", "abc" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/watch/default");
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await ProblemAsync(response, HttpStatusCode.BadRequest, "InvalidArgument");
        }

        // Bounded: before the fix a negative cursor meant "from now" and the stream simply stayed open.
        using var call = new V1.Watch.WatchClient(node.Grpc).Watch(new V1.WatchRequest { FromRevision = -1 }, deadline: DateTime.UtcNow.AddSeconds(5));
        AssertRpc(await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        }), StatusCode.InvalidArgument, "InvalidArgument");
        await node.Ledger.VerifyAsync();
    }

    [Fact]
    public async Task Watch_WaitsForTheFutureRevision_WhenCursorIsAheadOverHttpAndGrpc()
    {
        var prefix = $"future-{Guid.NewGuid():N}/";
        var current = JsonDocument.Parse(await _http.GetStringAsync("/v1/status")).RootElement.GetProperty("revision").GetInt64();
        var from = current + 3;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));

        // HTTP: the stream opens at once (progress at the current revision), then delivers revisions >= from only.
        using var sse = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/v1/watch/default?prefix={prefix}&fromRevision={from}"), HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, sse.StatusCode);
        using var reader = new StreamReader(await sse.Content.ReadAsStreamAsync(cts.Token));
        var grpc = new V1.Watch.WatchClient(node.Grpc).Watch(new V1.WatchRequest { Key = ByteString.CopyFromUtf8(prefix), Prefix = true, FromRevision = from }, cancellationToken: cts.Token);
        Assert.True(await grpc.ResponseStream.MoveNext(cts.Token));
        Assert.True(grpc.ResponseStream.Current.Progress);
        Assert.Equal(current, grpc.ResponseStream.Current.Header.Revision);

        var revisions = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            using var put = await _http.PutAsync($"/v1/kv/default/{prefix}{i}", new StringContent("x"), cts.Token);
            revisions.Add(JsonDocument.Parse(await put.Content.ReadAsStringAsync(cts.Token)).RootElement.GetProperty("revision").GetInt64());
        }

        Assert.Equal(Enumerable.Range(1, 4).Select(i => current + i), revisions);
        var sseRevisions = new List<long>();
        while (sseRevisions.Count < 2 && await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.StartsWith("data: {\"revision\":", StringComparison.Ordinal) && line.Contains("\"events\"", StringComparison.Ordinal))
            {
                sseRevisions.Add(JsonDocument.Parse(line[6..]).RootElement.GetProperty("revision").GetInt64());
            }
        }

        Assert.Equal(new[] { from, from + 1 }, sseRevisions);
        var grpcRevisions = new List<long>();
        while (grpcRevisions.Count < 2 && await grpc.ResponseStream.MoveNext(cts.Token))
        {
            grpcRevisions.AddRange(grpc.ResponseStream.Current.Events.Select(e => e.Kv.ModRevision));
        }

        Assert.Equal(new[] { from, from + 1 }, grpcRevisions);
        grpc.Dispose();
    }

    [Fact]
    public async Task NulKey_IsRefusedInThePath_AndWorksThroughTheJsonBodies()
    {
        await node.Ledger.PutAsync("nul");
        var answer = await RawHttp.ExchangeAsync(node.HttpEndPoint, AdversarialNode.Ascii("GET /v1/kv/default/a%00b HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.Equal(new[] { 400 }, RawHttp.Statuses(answer));

        // The documented way to a key holding byte 0 over HTTP: keyBase64 in /v1/txn and keysBase64 in /v1/mget.
        var key64 = Convert.ToBase64String("a\0b"u8.ToArray());
        using var txn = await _http.PostAsync("/v1/txn", new StringContent($"{{\"success\":[{{\"put\":{{\"keyBase64\":\"{key64}\",\"value\":\"nul\"}}}}]}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, txn.StatusCode);
        using var mget = await _http.PostAsync("/v1/mget/default", new StringContent($"{{\"keysBase64\":[\"{key64}\"]}}", Encoding.UTF8, "application/json"));
        var items = JsonDocument.Parse(await mget.Content.ReadAsStringAsync()).RootElement.GetProperty("items");
        Assert.Equal("nul", Assert.Single(items.EnumerateArray()).GetProperty("value").GetString());
        var grpc = await new V1.KV.KVClient(node.Grpc).GetAsync(new V1.GetRequest { Key = ByteString.CopyFrom("a\0b"u8.ToArray()) });
        Assert.Equal("nul", grpc.Kv.Value.ToStringUtf8());
        await node.Ledger.VerifyAsync();
    }

    [Fact]
    public async Task Write_Refuses400AndAppliesNothing_WhenIdempotencyKeyIsRepeated()
    {
        await node.Ledger.PutAsync("idem");

        // Two field lines (only a raw socket sends them as two).
        var key = $"idem-twice-{Guid.NewGuid():N}";
        var answer = await RawHttp.ExchangeAsync(node.HttpEndPoint, AdversarialNode.Ascii(
            $"PUT /v1/kv/default/{key} HTTP/1.1\r\nHost: x\r\nIdempotency-Key: one\r\nIdempotency-Key: two\r\nContent-Length: 1\r\nConnection: close\r\n\r\nv"));
        Assert.Equal(new[] { 400 }, RawHttp.Statuses(answer));
        Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"InvalidArgument\"", answer, StringComparison.Ordinal);

        // One line holding a list, as an intermediary may combine them (RFC 9110 §5.3).
        using var combined = new HttpRequestMessage(HttpMethod.Put, $"/v1/kv/default/{key}") { Content = new StringContent("v") };
        combined.Headers.TryAddWithoutValidation("Idempotency-Key", "one, two");
        using (var response = await _http.SendAsync(combined))
        {
            await ProblemAsync(response, HttpStatusCode.BadRequest, "InvalidArgument");
        }

        using var get = await _http.GetAsync($"/v1/kv/default/{key}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        await node.Ledger.VerifyAsync();
    }

    [Fact]
    public async Task MalformedGrpcMessage_AnswersInvalidArgument_WithOneLogLineAndNoStackTrace()
    {
        await node.Ledger.PutAsync("grpc-garbage");
        using var h2 = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var logBefore = node.Server.Output.Length;
        foreach (var method in new[] { "/statehouse.v1.KV/Get", "/statehouse.v1.KV/Put", "/statehouse.v1.Watch/Watch", "/statehouse.v1.Maintenance/Compact" })
        {
            using var request = AdversarialNode.RawGrpc(node.Server.GrpcUri, method, AdversarialNode.GrpcFrame("\u00ff\u00ffgarbage"u8.ToArray()));
            using var response = await h2.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            var status = response.TrailingHeaders.TryGetValues("grpc-status", out var s) ? s.Single() : response.Headers.TryGetValues("grpc-status", out var h) ? h.Single() : "none";
            Assert.True(status == "3", $"{method}: grpc-status {status}");
        }

        await Task.Delay(300);
        var log = node.Server.Output[logBefore..];
        Assert.DoesNotContain("   at ", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception was thrown by handler", log, StringComparison.Ordinal);
        var lines = log.Split('\n').Count(l => l.Contains("Malformed gRPC", StringComparison.Ordinal));
        Assert.Equal(4, lines);
        await node.Ledger.VerifyAsync();
    }

    [Fact]
    public async Task Range_Refuses400AndInvalidArgument_WhenLimitIsAboveTheMaximum()
    {
        await node.Ledger.PutAsync("range");
        using (var ok = await _http.GetAsync("/v1/kv/default?prefix=ack/&limit=10000"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var response = await _http.GetAsync("/v1/kv/default?prefix=ack/&limit=10001"))
        {
            await ProblemAsync(response, HttpStatusCode.BadRequest, "InvalidArgument");
        }

        using (var txn = await _http.PostAsync("/v1/txn", new StringContent("{\"success\":[{\"range\":{\"prefix\":\"ack/\",\"limit\":10001}}]}", Encoding.UTF8, "application/json")))
        {
            await ProblemAsync(txn, HttpStatusCode.BadRequest, "InvalidArgument");
        }

        var kv = new V1.KV.KVClient(node.Grpc);
        AssertRpc(await Assert.ThrowsAsync<RpcException>(async () => await kv.RangeAsync(new V1.RangeRequest { Prefix = ByteString.CopyFromUtf8("ack/"), Limit = 10_001 })), StatusCode.InvalidArgument, "InvalidArgument");
        var grpcTxn = new V1.TxnRequest();
        grpcTxn.Success.Add(new V1.TxnOp { Range = new V1.RangeRequest { Prefix = ByteString.CopyFromUtf8("ack/"), Limit = 10_001 } });
        AssertRpc(await Assert.ThrowsAsync<RpcException>(async () => await kv.TxnAsync(grpcTxn)), StatusCode.InvalidArgument, "InvalidArgument");
        Assert.True((await kv.RangeAsync(new V1.RangeRequest { Prefix = ByteString.CopyFromUtf8("ack/"), Limit = 10_000 })).Kvs.Count > 0);
        await node.Ledger.VerifyAsync();
    }
}
