using System.Net;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using V1 = Statehouse.V1;

namespace Statehouse.IntegrationTests.Adversarial;

/// <summary>The node-wide watch cap and the per-connection one (<c>--max-watchers</c>, <c>--max-watchers-per-connection</c>).</summary>
[Collection(AdversarialCollection.Name)]
public sealed class WatcherCapTests(AdversarialNode node)
{
    private static async Task<AsyncServerStreamingCall<V1.WatchResponse>> OpenAsync(GrpcChannel channel, CancellationToken cancellationToken)
    {
        var call = new V1.Watch.WatchClient(channel).Watch(new V1.WatchRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8("caps/"), Prefix = true }, cancellationToken: cancellationToken);
        Assert.True(await call.ResponseStream.MoveNext(cancellationToken));
        Assert.True(call.ResponseStream.Current.Progress);
        return call;
    }

    private async Task<int> WatchersAsync() =>
        JsonDocument.Parse(await node.Http.GetStringAsync("/v1/status")).RootElement.GetProperty("watchers").GetInt32();

    private async Task WaitForWatchersAsync(int expected)
    {
        for (var i = 0; i < 100 && await WatchersAsync() != expected; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(expected, await WatchersAsync());
    }

    [Fact]
    public async Task Watch_AnswersResourceExhausted_WhenOneConnectionHoldsItsShare()
    {
        await node.Ledger.PutAsync("caps");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var greedy = GrpcChannel.ForAddress(node.Server.GrpcUri);
        using var other = GrpcChannel.ForAddress(node.Server.GrpcUri);
        var calls = new List<AsyncServerStreamingCall<V1.WatchResponse>>();
        try
        {
            for (var i = 0; i < AdversarialNode.MaxWatchersPerConnection; i++)
            {
                calls.Add(await OpenAsync(greedy, cts.Token));
            }

            using var refused = new V1.Watch.WatchClient(greedy).Watch(new V1.WatchRequest(), cancellationToken: cts.Token);
            var ex = await Assert.ThrowsAsync<RpcException>(async () => await refused.ResponseStream.MoveNext(cts.Token));
            Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
            Assert.Equal("QuotaExceeded", ex.Trailers.GetValue("statehouse-code"));

            // Another connection still gets its watch, and the refused one did not keep a slot.
            calls.Add(await OpenAsync(other, cts.Token));
            await WaitForWatchersAsync(AdversarialNode.MaxWatchersPerConnection + 1);
        }
        finally
        {
            calls.ForEach(c => c.Dispose());
        }

        await WaitForWatchersAsync(0);
        await node.Ledger.VerifyAsync();
    }

    [Fact]
    public async Task Watch_AnswersUnavailable_WhenTheNodeHoldsItsMaximum_OverGrpcAndHttp()
    {
        await node.Ledger.PutAsync("caps");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var channels = Enumerable.Range(0, (AdversarialNode.MaxWatchers / AdversarialNode.MaxWatchersPerConnection) + 1)
            .Select(_ => GrpcChannel.ForAddress(node.Server.GrpcUri)).ToList();
        var calls = new List<AsyncServerStreamingCall<V1.WatchResponse>>();
        using var sseClient = new HttpClient { BaseAddress = node.Server.HttpUri };
        try
        {
            for (var i = 0; i < AdversarialNode.MaxWatchers; i++)
            {
                calls.Add(await OpenAsync(channels[i / AdversarialNode.MaxWatchersPerConnection], cts.Token));
            }

            using var refused = new V1.Watch.WatchClient(channels[^1]).Watch(new V1.WatchRequest(), cancellationToken: cts.Token);
            var ex = await Assert.ThrowsAsync<RpcException>(async () => await refused.ResponseStream.MoveNext(cts.Token));
            Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
            Assert.Equal("Unavailable", ex.Trailers.GetValue("statehouse-code"));

            using var sse = await sseClient.GetAsync("/v1/watch/default", HttpCompletionOption.ResponseHeadersRead, cts.Token);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, sse.StatusCode);
            Assert.Equal("application/problem+json", sse.Content.Headers.ContentType?.MediaType);

            // Writes and reads are untouched by a full watch table.
            await node.Ledger.PutAsync("caps-full");
            await node.Ledger.VerifyAsync();
        }
        finally
        {
            calls.ForEach(c => c.Dispose());
            channels.ForEach(c => c.Dispose());
        }

        await WaitForWatchersAsync(0);
        using var again = await sseClient.GetAsync("/v1/watch/default?progressMs=100", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }
}
