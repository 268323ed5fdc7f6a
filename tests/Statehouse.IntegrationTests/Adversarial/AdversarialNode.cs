using System.Net;
using System.Text;
using Grpc.Net.Client;

namespace Statehouse.IntegrationTests.Adversarial;

/// <summary>
/// One real node shared by the adversarial probes (run one after another: see <see cref="AdversarialCollection"/>), with
/// small watch caps so the cap probes stay fast, and a ledger of every write it acknowledged.
/// </summary>
public sealed class AdversarialNode : IAsyncLifetime
{
    /// <summary>The node-wide watch cap this node runs with (<c>--max-watchers</c>).</summary>
    public const int MaxWatchers = 24;

    /// <summary>The per-connection watch cap this node runs with (<c>--max-watchers-per-connection</c>).</summary>
    public const int MaxWatchersPerConnection = 6;

    public ServerProcess Server { get; } = new(null, "--max-watchers", MaxWatchers.ToString(System.Globalization.CultureInfo.InvariantCulture), "--max-watchers-per-connection", MaxWatchersPerConnection.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public HttpClient Http { get; private set; } = null!;

    public GrpcChannel Grpc { get; private set; } = null!;

    public AcknowledgedWrites Ledger { get; private set; } = null!;

    public IPEndPoint HttpEndPoint => new(IPAddress.Loopback, Server.HttpPort);

    public IPEndPoint GrpcEndPoint => new(IPAddress.Loopback, Server.GrpcPort);

    public async Task InitializeAsync()
    {
        await Server.StartAsync();
        Http = new HttpClient { BaseAddress = Server.HttpUri, Timeout = TimeSpan.FromSeconds(20) };
        Grpc = GrpcChannel.ForAddress(Server.GrpcUri);
        Ledger = new AcknowledgedWrites(Http);
    }

    public async Task DisposeAsync()
    {
        Grpc.Dispose();
        Http.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>A gRPC request with a hand-made body over HTTP/2 with prior knowledge (what a broken or hostile client sends).</summary>
    public static HttpRequestMessage RawGrpc(Uri grpcUri, string method, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(grpcUri, method))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        return request;
    }

    /// <summary>A gRPC length-prefixed message frame around <paramref name="payload"/>.</summary>
    public static byte[] GrpcFrame(byte[] payload, int? declaredLength = null)
    {
        var frame = new byte[5 + payload.Length];
        var length = declaredLength ?? payload.Length;
        frame[1] = (byte)(length >> 24);
        frame[2] = (byte)(length >> 16);
        frame[3] = (byte)(length >> 8);
        frame[4] = (byte)length;
        payload.CopyTo(frame, 5);
        return frame;
    }

    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}

/// <summary>The adversarial probes share one node and run one after another: load probes must not overlap.</summary>
[CollectionDefinition(Name)]
public sealed class AdversarialCollection : ICollectionFixture<AdversarialNode>
{
    public const string Name = "Adversarial";
}
