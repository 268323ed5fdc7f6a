using Xunit.Abstractions;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Statehouse.IntegrationTests.Adversarial;

/// <summary>Slow and many connections (bounded: 200 slowloris sockets, 500 idle keep-alive connections): a normal client still gets served.</summary>
[Collection(AdversarialCollection.Name)]
public sealed class ConnectionFloodTests(AdversarialNode node, ITestOutputHelper output)
{
    private const int SlowSockets = 200;
    private const int ManyConnections = 500;
    private static readonly TimeSpan NormalRequestLimit = TimeSpan.FromSeconds(2);

    /// <summary>Puts and reads back acknowledged keys, each request within <see cref="NormalRequestLimit"/>.</summary>
    private async Task<TimeSpan> NormalTrafficAsync(int writes)
    {
        using var client = new HttpClient { BaseAddress = node.Server.HttpUri, Timeout = TimeSpan.FromSeconds(10) };
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < writes; i++)
        {
            var clock = Stopwatch.StartNew();
            await node.Ledger.PutAsync("flood", client);
            using var status = await client.GetAsync("/v1/status");
            Assert.Equal(HttpStatusCode.OK, status.StatusCode);
            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
        }

        Assert.True(slowest < NormalRequestLimit * 2, $"a normal put + status took {slowest.TotalMilliseconds:F0} ms");
        return slowest;
    }

    [Fact]
    public async Task SlowlorisSockets_DoNotStarveANormalClient()
    {
        var sockets = new List<Socket>();
        using var stop = new CancellationTokenSource();
        try
        {
            for (var i = 0; i < SlowSockets; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(node.HttpEndPoint);
                sockets.Add(socket);
            }

            // Each socket sends its headers one byte at a time, never finishing them (bounded: 4 s of dribbling).
            var header = Encoding.ASCII.GetBytes("GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Slow: ");
            var dribble = Task.Run(async () =>
            {
                var clock = Stopwatch.StartNew();
                for (var position = 0; clock.Elapsed < TimeSpan.FromSeconds(4) && !stop.IsCancellationRequested; position++)
                {
                    var next = position < header.Length ? header[position] : (byte)'a';
                    foreach (var socket in sockets)
                    {
                        try
                        {
                            await socket.SendAsync(new[] { next }, SocketFlags.None);
                        }
                        catch (SocketException)
                        {
                        }
                    }

                    await Task.Delay(100);
                }
            });

            await Task.Delay(500);
            var slowest = await NormalTrafficAsync(20);
            output.WriteLine($"slowest normal put + status during {SlowSockets} slowloris sockets: {slowest.TotalMilliseconds:F0} ms");
            await stop.CancelAsync();
            await dribble;
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }

        await node.Ledger.VerifyAsync();
    }

    [Fact]
    public async Task FiveHundredConnections_AreServed_AndANormalClientStillIs()
    {
        var sockets = new List<Socket>();
        try
        {
            var request = Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            for (var i = 0; i < ManyConnections; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(node.HttpEndPoint);
                sockets.Add(socket);
            }

            await Task.WhenAll(sockets.Select(s => s.SendAsync(request, SocketFlags.None)));
            var answers = await Task.WhenAll(sockets.Select(s => RawHttp.ReadAllAsync(s, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(15))));
            var ok = answers.Count(a => RawHttp.Statuses(a) is [200]);
            Assert.Equal(ManyConnections, ok);

            // All 500 stay open (keep-alive) while a normal client works.
            var slowest = await NormalTrafficAsync(20);
            output.WriteLine($"slowest normal put + status with {ManyConnections} open connections: {slowest.TotalMilliseconds:F0} ms");

            // And 500 concurrent writes on those connections are each acknowledged once.
            var prefix = $"many-{Guid.NewGuid():N}/";
            await Task.WhenAll(sockets.Select((s, i) => s.SendAsync(Encoding.ASCII.GetBytes($"PUT /v1/kv/default/{prefix}{i} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nv"), SocketFlags.None)));
            var writes = await Task.WhenAll(sockets.Select(s => RawHttp.ReadAllAsync(s, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(20))));
            Assert.Equal(ManyConnections, writes.Count(a => RawHttp.Statuses(a) is [200]));
            var count = System.Text.Json.JsonDocument.Parse(await node.Http.GetStringAsync($"/v1/kv/default?prefix={prefix}&countOnly=true")).RootElement.GetProperty("count").GetInt64();
            Assert.Equal(ManyConnections, count);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }

        await node.Ledger.VerifyAsync();
    }
}
