using System.Net;

namespace Statehouse.IntegrationTests.Adversarial;

/// <summary>
/// Request smuggling on raw sockets: a message whose length is ambiguous is refused or read by Transfer-Encoding alone,
/// and the connection is closed after the answer (RFC 9112 §6.1), so nothing hidden in it runs as a second request.
/// </summary>
[Collection(AdversarialCollection.Name)]
public sealed class SmugglingTests(AdversarialNode node)
{
    private async Task AssertAbsentAsync(string key)
    {
        using var get = await node.Http.GetAsync($"/v1/kv/default/{key}");
        Assert.True(get.StatusCode == HttpStatusCode.NotFound, $"{key} was written: {(int)get.StatusCode}");
    }

    [Fact]
    public async Task ContentLengthWithTransferEncoding_IsAnsweredOnceAndTheConnectionClosed()
    {
        await node.Ledger.PutAsync("smuggle");
        var id = Guid.NewGuid().ToString("N");
        var answer = await RawHttp.ExchangeAsync(node.HttpEndPoint, AdversarialNode.Ascii(
            $"PUT /v1/kv/default/smug-a-{id} HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
            $"PUT /v1/kv/default/smug-b-{id} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nb"));
        Assert.Equal(new[] { 400 }, RawHttp.Statuses(answer));
        Assert.Contains("Connection: close", answer, StringComparison.OrdinalIgnoreCase);
        await AssertAbsentAsync($"smug-a-{id}");
        await AssertAbsentAsync($"smug-b-{id}");
        await node.Ledger.VerifyAsync();
    }

    [Theory]
    [InlineData("Content-Length: 1\r\nContent-Length: 5\r\n")]
    [InlineData("Content-Length: 5\r\nContent-Length: 5\r\n")]
    [InlineData("Content-Length: 1, 5\r\n")]
    [InlineData("Content-Length : 5\r\n")]
    [InlineData("Transfer-Encoding: gzip\r\n")]
    [InlineData("Transfer-Encoding: chunked, identity\r\n")]
    public async Task AmbiguousLength_IsRefused400AndTheConnectionClosed(string headers)
    {
        await node.Ledger.PutAsync("smuggle");
        var id = Guid.NewGuid().ToString("N");
        var answer = await RawHttp.ExchangeAsync(node.HttpEndPoint, AdversarialNode.Ascii(
            $"PUT /v1/kv/default/amb-a-{id} HTTP/1.1\r\nHost: x\r\n{headers}\r\nhello" +
            $"PUT /v1/kv/default/amb-b-{id} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nb"));
        Assert.Equal(new[] { 400 }, RawHttp.Statuses(answer));
        Assert.Contains("Connection: close", answer, StringComparison.OrdinalIgnoreCase);
        await AssertAbsentAsync($"amb-a-{id}");
        await AssertAbsentAsync($"amb-b-{id}");
        await node.Ledger.VerifyAsync();
    }
}
