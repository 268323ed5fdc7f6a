using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using V1 = Statehouse.V1;

namespace Statehouse.IntegrationTests.Adversarial;

/// <summary>Bodies, messages, keys and transactions over their limits: refused early, without buffering, nothing applied.</summary>
[Collection(AdversarialCollection.Name)]
public sealed class SizeLimitTests(AdversarialNode node)
{
    private const long HundredMegabytes = 100L << 20;

    private long ServerRssBytes()
    {
        var status = File.ReadAllLines($"/proc/{node.Server.Pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(status.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Streams up to 100 MB after <paramref name="head"/> until the server answers; returns the answer and bytes sent.</summary>
    private async Task<(string Answer, long Sent)> StreamUntilAnsweredAsync(string head, bool chunked)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(node.HttpEndPoint);
        await socket.SendAsync(AdversarialNode.Ascii(head), SocketFlags.None);
        var payload = new byte[64 * 1024];
        Array.Fill(payload, (byte)'x');
        var chunk = chunked ? [.. AdversarialNode.Ascii($"{payload.Length:x}\r\n"), .. payload, .. AdversarialNode.Ascii("\r\n")] : payload;
        long sent = 0;
        var clock = Stopwatch.StartNew();
        while (sent < HundredMegabytes && clock.Elapsed < TimeSpan.FromSeconds(20) && socket.Available == 0)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                sent += await socket.SendAsync(chunk, SocketFlags.None, cts.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                break; // the server closed the connection or stopped reading: it answered (or will) without taking the rest
            }
        }

        return (await RawHttp.ReadAllAsync(socket, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10)), sent);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HundredMegabyteBody_Answers413WithoutBuffering(bool chunked)
    {
        await node.Ledger.PutAsync("big");
        var rssBefore = ServerRssBytes();
        var key = $"big-{Guid.NewGuid():N}";
        var head = $"PUT /v1/kv/default/{key} HTTP/1.1\r\nHost: x\r\n" + (chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {HundredMegabytes}\r\n") + "\r\n";
        var (answer, sent) = await StreamUntilAnsweredAsync(head, chunked);
        Assert.True(RawHttp.Statuses(answer).FirstOrDefault() == 413, $"answer after {sent} bytes: {answer[..Math.Min(answer.Length, 300)]}");
        Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);
        Assert.True(sent < 32L << 20, $"the server took {sent} bytes of a body it refused");
        Assert.True(ServerRssBytes() - rssBefore < 64L << 20, $"server memory grew by {(ServerRssBytes() - rssBefore) >> 20} MiB");
        using var get = await node.Http.GetAsync($"/v1/kv/default/{key}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        await node.Ledger.VerifyAsync();
    }

    [Fact]
    public async Task OversizeValueKeyAndCounts_AreRefused_AndNothingIsApplied()
    {
        await node.Ledger.PutAsync("limits");
        var http = node.Http;

        // A value just over 1 MiB with a Content-Length: 413 problem+json.
        using (var value = await http.PutAsync("/v1/kv/default/too-big", new ByteArrayContent(new byte[(1 << 20) + 1])))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, value.StatusCode);
            Assert.Equal("InvalidArgument", JsonDocument.Parse(await value.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        }

        using (var key = await http.PutAsync("/v1/kv/default/" + new string('k', 4097), new StringContent("v")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, key.StatusCode);
        }

        // 129 operations (the limit is 128 per branch): refused whole, none of them applied.
        var prefix = $"txn-ops-{Guid.NewGuid():N}/";
        var ops = string.Join(',', Enumerable.Range(0, 129).Select(i => $"{{\"put\":{{\"key\":\"{prefix}{i}\",\"value\":\"v\"}}}}"));
        using (var txn = await http.PostAsync("/v1/txn", new StringContent($"{{\"success\":[{ops}]}}", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, txn.StatusCode);
            Assert.Equal("InvalidArgument", JsonDocument.Parse(await txn.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        }

        var compares = string.Join(',', Enumerable.Range(0, 129).Select(i => $"{{\"key\":\"{prefix}{i}\",\"target\":\"version\",\"op\":\"==\",\"number\":0}}"));
        using (var txn = await http.PostAsync("/v1/txn", new StringContent($"{{\"compare\":[{compares}],\"success\":[{{\"put\":{{\"key\":\"{prefix}c\",\"value\":\"v\"}}}}]}}", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, txn.StatusCode);
        }

        var keys = string.Join(',', Enumerable.Range(0, 1001).Select(i => $"\"{prefix}{i}\""));
        using (var mget = await http.PostAsync("/v1/mget/default", new StringContent($"{{\"keys\":[{keys}]}}", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, mget.StatusCode);
        }

        var grpcTxn = new V1.TxnRequest();
        grpcTxn.Success.AddRange(Enumerable.Range(0, 129).Select(i => new V1.TxnOp { Put = new V1.PutRequest { Key = ByteString.CopyFromUtf8($"{prefix}{i}"), Value = ByteString.CopyFromUtf8("v") } }));
        var kv = new V1.KV.KVClient(node.Grpc);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await kv.TxnAsync(grpcTxn))).StatusCode);

        // A gRPC message over the node's message limit (value limit + 1 MiB): ResourceExhausted, before any apply.
        using var unbounded = GrpcChannel.ForAddress(node.Server.GrpcUri, new GrpcChannelOptions { MaxSendMessageSize = null });
        var huge = new V1.PutRequest { Key = ByteString.CopyFromUtf8($"{prefix}huge"), Value = ByteString.CopyFrom(new byte[3 << 20]) };
        Assert.Equal(StatusCode.ResourceExhausted, (await Assert.ThrowsAsync<RpcException>(async () => await new V1.KV.KVClient(unbounded).PutAsync(huge))).StatusCode);

        var page = JsonDocument.Parse(await http.GetStringAsync($"/v1/kv/default?prefix={prefix}&countOnly=true")).RootElement;
        Assert.Equal(0, page.GetProperty("count").GetInt64());
        using (var big = await http.GetAsync("/v1/kv/default/too-big"))
        {
            Assert.Equal(HttpStatusCode.NotFound, big.StatusCode);
        }

        await node.Ledger.VerifyAsync();
    }
}
