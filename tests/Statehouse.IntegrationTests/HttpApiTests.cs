using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Statehouse.IntegrationTests;

public sealed class HttpApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly HttpClient _http = fixture.Http;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private Task<HttpResponseMessage> Put(string path, string value, Action<HttpRequestMessage>? configure = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = new StringContent(value) };
        configure?.Invoke(request);
        return _http.SendAsync(request);
    }

    [Fact]
    public async Task PutThenGet_ReturnsValueWithEtagAndRevision_WhenKeyHasSlashesAndColons()
    {
        var key = Unique("users") + "/7/profile:main";
        using var put = await Put($"/v1/kv/default/{key}", "hello");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var revision = (await Json(put)).GetProperty("revision").GetInt64();
        Assert.True(revision > 0);

        using var get = await _http.GetAsync($"/v1/kv/default/{key}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("hello", await get.Content.ReadAsStringAsync());
        Assert.Equal($"\"{revision}\"", get.Headers.ETag!.Tag);
        Assert.True(long.Parse(get.Headers.GetValues("X-Statehouse-Revision").Single(), System.Globalization.CultureInfo.InvariantCulture) >= revision);
    }

    [Fact]
    public async Task Get_Returns404Problem_WhenKeyAbsent()
    {
        using var get = await _http.GetAsync($"/v1/kv/default/{Unique("absent")}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("application/problem+json", get.Content.Headers.ContentType!.MediaType);
        Assert.Equal("NotFound", (await Json(get)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Put_Returns412_WhenIfMatchIsStale_AndSucceedsWithCurrentEtag()
    {
        var key = Unique("cas");
        using var first = await Put($"/v1/kv/default/{key}", "v1");
        var rev1 = (await Json(first)).GetProperty("revision").GetInt64();
        using var second = await Put($"/v1/kv/default/{key}", "v2", r => r.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{rev1}\"")));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        using var stale = await Put($"/v1/kv/default/{key}", "v3", r => r.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{rev1}\"")));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        var problem = await Json(stale);
        Assert.Equal("PreconditionFailed", problem.GetProperty("code").GetString());
        Assert.Equal((await Json(second)).GetProperty("revision").GetInt64(), problem.GetProperty("currentRevision").GetInt64());
        using var get = await _http.GetAsync($"/v1/kv/default/{key}");
        Assert.Equal("v2", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Put_Returns412_WhenIfNoneMatchStarAndKeyExists()
    {
        var key = Unique("create");
        using var first = await Put($"/v1/kv/default/{key}", "a", r => r.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Any));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var second = await Put($"/v1/kv/default/{key}", "b", r => r.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Any));
        Assert.Equal(HttpStatusCode.PreconditionFailed, second.StatusCode);
    }

    [Fact]
    public async Task Put_IsAppliedOnce_WhenRetriedWithSameIdempotencyKey()
    {
        var key = Unique("idem");
        var id = Guid.NewGuid().ToString();
        using var first = await Put($"/v1/kv/default/{key}", "one", r => r.Headers.Add("Idempotency-Key", id));
        using var retry = await Put($"/v1/kv/default/{key}", "one", r => r.Headers.Add("Idempotency-Key", id));
        Assert.Equal((await Json(first)).GetProperty("revision").GetInt64(), (await Json(retry)).GetProperty("revision").GetInt64());
        using var get = await _http.GetAsync($"/v1/kv/default/{key}");
        Assert.Equal("1", get.Headers.GetValues("X-Statehouse-Version").Single());
    }

    [Fact]
    public async Task Delete_Returns200Then404_AndHonoursIfMatch()
    {
        var key = Unique("del");
        using var put = await Put($"/v1/kv/default/{key}", "x");
        var rev = (await Json(put)).GetProperty("revision").GetInt64();
        using var staleDelete = new HttpRequestMessage(HttpMethod.Delete, $"/v1/kv/default/{key}");
        staleDelete.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{rev + 1000}\""));
        using var stale = await _http.SendAsync(staleDelete);
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        using var ok = await _http.DeleteAsync($"/v1/kv/default/{key}");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var again = await _http.DeleteAsync($"/v1/kv/default/{key}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task List_PagesThroughPrefixWithContinuation()
    {
        var prefix = Unique("cart") + ":";
        for (var i = 0; i < 25; i++)
        {
            using var _ = await Put($"/v1/kv/default/{prefix}{i:D2}", $"item{i}");
        }

        var seen = new List<string>();
        string? after = null;
        do
        {
            var url = $"/v1/kv/default?prefix={Uri.EscapeDataString(prefix)}&limit=10" + (after is null ? "" : $"&after={after}");
            using var page = await _http.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var json = await Json(page);
            seen.AddRange(json.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("key").GetString()!));
            after = json.TryGetProperty("continuation", out var c) ? c.GetString() : null;
        }
        while (after is not null);

        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"{prefix}{i:D2}"), seen);
    }

    [Fact]
    public async Task Increment_CountsAtomically_AndRejectsOverflow()
    {
        var key = Unique("counter");
        var tasks = Enumerable.Range(0, 20).Select(_ => _http.PostAsync($"/v1/incr/default/{key}?delta=5", null)).ToList();
        foreach (var t in tasks)
        {
            using var r = await t;
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        using var get = await _http.GetAsync($"/v1/kv/default/{key}");
        Assert.Equal("100", await get.Content.ReadAsStringAsync());
        using var overflow = await _http.PostAsync($"/v1/incr/default/{key}?delta={long.MaxValue}", null);
        Assert.Equal(HttpStatusCode.BadRequest, overflow.StatusCode);
        Assert.Equal("InvalidArgument", (await Json(overflow)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Txn_RunsThenOrElseAtomically()
    {
        var key = Unique("txn");
        var body = new
        {
            compare = new[] { new { key, target = "exists", op = "==", number = 0L } },
            success = new object[] { new { put = new { key, value = "created" } }, new { put = new { key = key + "/audit", value = "1" } } },
            failure = new object[] { new { get = new { key } } },
        };
        using var first = await _http.PostAsJsonAsync("/v1/txn", body);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var json1 = await Json(first);
        Assert.True(json1.GetProperty("succeeded").GetBoolean());
        using var second = await _http.PostAsJsonAsync("/v1/txn", body);
        var json2 = await Json(second);
        Assert.False(json2.GetProperty("succeeded").GetBoolean());
        Assert.Equal("created", json2.GetProperty("results")[0].GetProperty("kv").GetProperty("value").GetString());
    }

    [Fact]
    public async Task BadInput_Gets4xxProblem_AndChangesNothing()
    {
        var key = Unique("bad");
        using var empty = await Put($"/v1/kv/default/{key}", "");
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        using var noKeyspace = await Put($"/v1/kv/nope-{Guid.NewGuid():N}/{key}", "x");
        Assert.Equal(HttpStatusCode.NotFound, noKeyspace.StatusCode);
        using var badTxn = await _http.PostAsync("/v1/txn", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, badTxn.StatusCode);
        Assert.Equal("InvalidArgument", (await Json(badTxn)).GetProperty("code").GetString());
        using var tooBig = await Put($"/v1/kv/default/{key}", new string('x', (1024 * 1024) + 1));
        Assert.True((int)tooBig.StatusCode is 400 or 413);
        using var longKey = await Put($"/v1/kv/default/{new string('k', 5000)}", "x");
        Assert.Equal(HttpStatusCode.BadRequest, longKey.StatusCode);
        using var get = await _http.GetAsync($"/v1/kv/default/{key}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task Ttl_PutExpiresKey_AndLeaseRoutesWork()
    {
        var key = Unique("ttl");
        using var put = await Put($"/v1/kv/default/{key}?ttl=1", "short-lived");
        var lease = (await Json(put)).GetProperty("lease").GetInt64();
        using var info = await _http.GetAsync($"/v1/leases/{lease}");
        Assert.Equal(HttpStatusCode.OK, info.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode status;
        do
        {
            await Task.Delay(200);
            using var get = await _http.GetAsync($"/v1/kv/default/{key}");
            status = get.StatusCode;
        }
        while (status == HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.NotFound, status);

        using var grant = await _http.PostAsJsonAsync("/v1/leases", new { ttlSeconds = 30 });
        Assert.Equal(HttpStatusCode.Created, grant.StatusCode);
        var id = (await Json(grant)).GetProperty("id").GetInt64();
        using var attached = await Put($"/v1/kv/default/{key}?lease={id}", "v");
        using var keepAlive = await _http.PostAsync($"/v1/leases/{id}/keepalive", null);
        Assert.Equal(HttpStatusCode.OK, keepAlive.StatusCode);
        using var revoke = await _http.DeleteAsync($"/v1/leases/{id}");
        Assert.Equal(1, (await Json(revoke)).GetProperty("keysDeleted").GetInt64());
        using var gone = await _http.GetAsync($"/v1/kv/default/{key}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Watch_StreamsChangesAsServerSentEvents_FromARevision()
    {
        var prefix = Unique("w") + "/";
        using var p1 = await Put($"/v1/kv/default/{prefix}a", "1");
        var from = (await Json(p1)).GetProperty("revision").GetInt64();
        using var p2 = await Put($"/v1/kv/default/{prefix}b", "2");
        using var d1 = await _http.DeleteAsync($"/v1/kv/default/{prefix}a");

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/watch/default?prefix={Uri.EscapeDataString(prefix)}&fromRevision={from}");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var changes = new List<(long Id, string Type, string Key)>();
        string? id = null, evt = null;
        while (changes.Count < 3)
        {
            var line = await reader.ReadLineAsync(cts.Token) ?? throw new InvalidOperationException("stream ended");
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                evt = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && evt == "change")
            {
                var data = JsonDocument.Parse(line[6..]).RootElement;
                foreach (var e in data.GetProperty("events").EnumerateArray())
                {
                    changes.Add((long.Parse(id!, System.Globalization.CultureInfo.InvariantCulture), e.GetProperty("type").GetString()!, e.GetProperty("kv").GetProperty("key").GetString()!));
                }
            }
        }

        Assert.Equal([("put", prefix + "a"), ("put", prefix + "b"), ("delete", prefix + "a")], changes.Select(c => (c.Type, c.Key)));
        Assert.Equal(from, changes[0].Id);
        Assert.True(changes[0].Id < changes[1].Id && changes[1].Id < changes[2].Id);
    }

    [Fact]
    public async Task StatusHealthAndMetrics_Answer()
    {
        using var health = await _http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var status = await _http.GetAsync("/v1/status");
        var json = await Json(status);
        Assert.True(json.GetProperty("appliedIndex").GetInt64() >= 0);
        Assert.True(json.TryGetProperty("uptimeMs", out _));
        using var put = await Put($"/v1/kv/default/{Unique("m")}", "x");
        using var metrics = await _http.GetAsync("/metrics");
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("statehouse_revision", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keyspaces_CreateListAndUse_WithTheirLimits()
    {
        var name = "ks" + Guid.NewGuid().ToString("N")[..8];
        using var create = await _http.PostAsJsonAsync("/v1/keyspaces", new { name, maxValueBytes = 4, maxKeys = 1 });
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        using var ok = await Put($"/v1/kv/{name}/a", "1234");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var tooBig = await Put($"/v1/kv/{name}/a", "12345");
        Assert.Equal(HttpStatusCode.BadRequest, tooBig.StatusCode);
        using var quota = await Put($"/v1/kv/{name}/b", "1");
        Assert.Equal(HttpStatusCode.TooManyRequests, quota.StatusCode);
        Assert.Equal("QuotaExceeded", (await Json(quota)).GetProperty("code").GetString());
        using var list = await _http.GetAsync("/v1/keyspaces");
        Assert.Contains(name, await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task IdempotencyKey_ReusedForADifferentRequest_Is400()
    {
        var id = Guid.NewGuid().ToString();
        using var first = await Put($"/v1/kv/default/{Unique("a")}", "1", r => r.Headers.Add("Idempotency-Key", id));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var other = await Put($"/v1/kv/default/{Unique("b")}", "2", r => r.Headers.Add("Idempotency-Key", id));
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        using var incr = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/v1/incr/default/{Unique("c")}") { Headers = { { "Idempotency-Key", id } } });
        Assert.Equal(HttpStatusCode.BadRequest, incr.StatusCode);
        Assert.Equal("InvalidArgument", (await Json(incr)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task TtlPut_RefreshingAKey_DoesNotLeakLeases()
    {
        var key = Unique("session");
        using var before = await _http.GetAsync("/v1/leases");
        var countBefore = (await Json(before)).GetProperty("ids").GetArrayLength();
        for (var i = 0; i < 5; i++)
        {
            using var put = await Put($"/v1/kv/default/{key}?ttl=300", $"v{i}");
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using var after = await _http.GetAsync("/v1/leases");
        Assert.Equal(countBefore + 1, (await Json(after)).GetProperty("ids").GetArrayLength());
    }

    [Fact]
    public async Task JsonRoutes_Answer400Problem_WhenBodyIsNotJson()
    {
        using var txn = await _http.PostAsync("/v1/txn", new FormUrlEncodedContent([new("a", "b")]));
        Assert.Equal(HttpStatusCode.BadRequest, txn.StatusCode);
        Assert.Equal("application/problem+json", txn.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task AbsoluteFormRequestTarget_ReadsTheRightKey()
    {
        var key = Unique("abs");
        using var put = await Put($"/v1/kv/default/{key}", "absolute");
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, fixture.Server.HttpPort);
        var stream = tcp.GetStream();
        var request = $"GET http://127.0.0.1:{fixture.Server.HttpPort}/v1/kv/default/{key} HTTP/1.1\r\nHost: 127.0.0.1:{fixture.Server.HttpPort}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var response = await new StreamReader(stream).ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        Assert.EndsWith("absolute", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_From_ACompactedRevision_Is410()
    {
        var key = Unique("wc");
        using var p1 = await Put($"/v1/kv/default/{key}", "1");
        using var p2 = await Put($"/v1/kv/default/{key}", "2");
        using var compact = await _http.PostAsync("/v1/compact", null);
        using var watch = await _http.GetAsync($"/v1/watch/default?key={key}&fromRevision=1", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Gone, watch.StatusCode);
        Assert.Equal("Compacted", (await Json(watch)).GetProperty("code").GetString());
    }
}
