using System.Net;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using V1 = Statehouse.V1;

namespace Statehouse.IntegrationTests.Adversarial;

/// <summary>Malformed HTTP and gRPC input: each is refused with the documented answer, and nothing acknowledged is lost.</summary>
[Collection(AdversarialCollection.Name)]
public sealed class MalformedInputTests(AdversarialNode node)
{
    private readonly HttpClient _http = node.Http;

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code, string probe)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{probe}: expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{probe}: content type {response.Content.Headers.ContentType}");
        Assert.Equal(code, JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task JsonRoutes_Answer400Problem_WhenBodyIsMalformedOrNotJson()
    {
        await node.Ledger.PutAsync("json");
        var probes = new (string Route, string Body, string ContentType)[]
        {
            ("/v1/txn", "{\"success\":[{\"put\":", "application/json"),
            ("/v1/txn", "[1,2,3]", "application/json"),
            ("/v1/txn", "{\"success\":[{\"put\":{\"key\":\"a\",\"value\":\"b\"},\"get\":{\"key\":\"a\"}}]}", "application/json"),
            ("/v1/txn", "{\"compare\":[{\"key\":\"a\",\"target\":\"bogus\",\"op\":\"==\",\"number\":1}]}", "application/json"),
            ("/v1/txn", "{\"success\":[{\"put\":{\"key\":\"a\",\"value\":\"b\"}}]}", "text/plain"),
            ("/v1/mget/default", "{\"keys\":\"not-a-list\"}", "application/json"),
            ("/v1/mget/default", "{\"keysBase64\":[\"***\"]}", "application/json"),
            ("/v1/mget/default", "{\"keys\":[\"a\"]}", "application/x-www-form-urlencoded"),
            ("/v1/keyspaces", "{\"name\":", "application/json"),
            ("/v1/keyspaces", "name=x", "application/x-www-form-urlencoded"),
            ("/v1/leases", "{\"ttlSeconds\":\"ten\"}", "application/json"),
            ("/v1/txn", "\u00ff\u00fe{}", "application/json"),
        };
        foreach (var (route, body, contentType) in probes)
        {
            using var content = new ByteArrayContent(Encoding.Latin1.GetBytes(body));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
            using var response = await _http.PostAsync(route, content);
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, "InvalidArgument", $"{route} {contentType} {body}");
        }

        await node.Ledger.VerifyAsync();
    }

    [Fact]
    public async Task Queries_Answer400Problem_WhenNumbersOrFlagsAreMalformed()
    {
        await node.Ledger.PutAsync("query");
        var gets = new[]
        {
            "/v1/kv/default/x?revision=abc", "/v1/kv/default/x?revision=1e3", "/v1/kv/default/x?revision=99999999999999999999",
            "/v1/kv/default?limit=-1", "/v1/kv/default?limit=ten", "/v1/kv/default?keysOnly=maybe", "/v1/kv/default?after=%%%",
            "/v1/kv/default?after=bm90LWEtdG9rZW4", "/v1/kv/default?prefixBase64=***", "/v1/watch/default?progressMs=soon",
            "/v1/kv/default?consistency=sometimes",
        };
        foreach (var url in gets)
        {
            using var response = await _http.GetAsync(url);
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, "InvalidArgument", url);
        }

        var puts = new[] { "/v1/kv/default/q?ttl=soon", "/v1/kv/default/q?lease=-", "/v1/kv/default/q?prevKv=2" };
        foreach (var url in puts)
        {
            using var response = await _http.PutAsync(url, new StringContent("v"));
            await AssertProblemAsync(response, HttpStatusCode.BadRequest, "InvalidArgument", url);
        }

        using (var incr = await _http.PostAsync("/v1/incr/default/q-counter?delta=1.5", null))
        {
            await AssertProblemAsync(incr, HttpStatusCode.BadRequest, "InvalidArgument", "incr delta");
        }

        // A malformed percent escape in the key (HttpClient would escape the '%', so a raw socket sends it).
        var answer = await RawHttp.ExchangeAsync(node.HttpEndPoint, AdversarialNode.Ascii("PUT /v1/kv/default/q%G1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nv"));
        Assert.Equal(new[] { 400 }, RawHttp.Statuses(answer));
        Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);

        using var get = await _http.GetAsync("/v1/kv/default/q");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        await node.Ledger.VerifyAsync();
    }

    [Fact]
    public async Task Keys_AreBytes_WhenNotUtf8_AndRawNonAsciiInTheRequestLineIsRefused()
    {
        await node.Ledger.PutAsync("utf8");
        var suffix = Guid.NewGuid().ToString("N");
        using (var put = await _http.PutAsync($"/v1/kv/default/bad-utf8-{suffix}-%FF%FE%C0", new StringContent("bytes")))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using (var get = await _http.GetAsync($"/v1/kv/default/bad-utf8-{suffix}-%FF%FE%C0"))
        {
            Assert.Equal("bytes", await get.Content.ReadAsStringAsync());
        }

        var list = JsonDocument.Parse(await _http.GetStringAsync($"/v1/kv/default?prefix=bad-utf8-{suffix}")).RootElement;
        var item = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal("base64", item.GetProperty("keyEncoding").GetString());
        Assert.Equal([.. Encoding.ASCII.GetBytes($"bad-utf8-{suffix}-"), 0xFF, 0xFE, 0xC0], Convert.FromBase64String(item.GetProperty("key").GetString()!));

        // Bytes >= 0x80 sent unescaped in the request target: Kestrel refuses them before the API.
        var answer = await RawHttp.ExchangeAsync(node.HttpEndPoint, [.. AdversarialNode.Ascii("GET /v1/kv/default/"), 0xFF, 0xFE, .. AdversarialNode.Ascii(" HTTP/1.1\r\nHost: x\r\n\r\n")]);
        Assert.Equal(new[] { 400 }, RawHttp.Statuses(answer));
        await node.Ledger.VerifyAsync();
    }

    [Fact]
    public async Task Body_IsNotApplied_WhenShorterThanItsContentLength()
    {
        await node.Ledger.PutAsync("short");
        var key = $"short-{Guid.NewGuid():N}";
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(node.HttpEndPoint);
        await socket.SendAsync(AdversarialNode.Ascii($"PUT /v1/kv/default/{key} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"), System.Net.Sockets.SocketFlags.None);
        socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        // The client ended the connection mid-body: there is nobody to answer (Kestrel drops the request), or a 400.
        var answer = await RawHttp.ReadAllAsync(socket, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));
        Assert.True(RawHttp.Statuses(answer) is [] or [400], answer);
        using var get = await _http.GetAsync($"/v1/kv/default/{key}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        await node.Ledger.VerifyAsync();
    }

    [Fact]
    public async Task GrpcFrames_AreRefusedWithTheirStatus_WhenGarbageTruncatedCompressedOrOversize()
    {
        await node.Ledger.PutAsync("frames");
        using var h2 = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var probes = new (string Name, byte[] Body, string Status)[]
        {
            ("garbage protobuf", AdversarialNode.GrpcFrame([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]), "3"),
            ("invalid wire type", AdversarialNode.GrpcFrame([0x0F, 0x01, 0x02]), "3"),
            ("truncated frame", AdversarialNode.GrpcFrame("abc"u8.ToArray(), declaredLength: 32), "13"),
            ("truncated prefix", [0x00, 0x00], "13"),
            ("compressed without grpc-encoding", [0x01, 0x00, 0x00, 0x00, 0x03, .. "abc"u8.ToArray()], "13"),
            ("declared 2 GiB", [0x00, 0x7F, 0x00, 0x00, 0x00, .. "abc"u8.ToArray()], "8"),
        };
        foreach (var (name, body, expected) in probes)
        {
            using var request = AdversarialNode.RawGrpc(node.Server.GrpcUri, "/statehouse.v1.KV/Put", body);
            using var response = await h2.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var status = response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.Single() : response.Headers.TryGetValues("grpc-status", out var h) ? h.Single() : "none";
            Assert.True(status == expected, $"{name}: grpc-status {status}, expected {expected}");
        }

        using (var json = AdversarialNode.RawGrpc(node.Server.GrpcUri, "/statehouse.v1.KV/Put", AdversarialNode.GrpcFrame([])))
        {
            json.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await h2.SendAsync(json);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        }

        // An empty message is a valid PutRequest with an empty key: refused by the API, not the framing.
        var kv = new V1.KV.KVClient(node.Grpc);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await kv.PutAsync(new V1.PutRequest()));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.True((await kv.PutAsync(new V1.PutRequest { Key = ByteString.CopyFromUtf8("frames-after"), Value = ByteString.CopyFromUtf8("ok") })).Header.Revision > 0);
        await node.Ledger.VerifyAsync();
    }
}
