using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Statehouse.Client.Tests.Fakes;

/// <summary>A Kestrel server on 127.0.0.1 (port chosen by the OS) hosting fake statehouse.v1 services over h2c.</summary>
internal sealed class FakeServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeServer(WebApplication app, Uri address, FakeKv kv, FakeWatch watch, FakeLease lease, FakeCluster cluster)
    {
        _app = app;
        Address = address;
        Kv = kv;
        Watch = watch;
        Lease = lease;
        Cluster = cluster;
    }

    public Uri Address { get; }

    public FakeKv Kv { get; }

    public FakeWatch Watch { get; }

    public FakeLease Lease { get; }

    public FakeCluster Cluster { get; }

    public static async Task<FakeServer> StartAsync()
    {
        var kv = new FakeKv();
        var watch = new FakeWatch();
        var lease = new FakeLease();
        var cluster = new FakeCluster();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(kv);
        builder.Services.AddSingleton(watch);
        builder.Services.AddSingleton(lease);
        builder.Services.AddSingleton(cluster);
        var app = builder.Build();
        app.MapGrpcService<FakeKv>();
        app.MapGrpcService<FakeWatch>();
        app.MapGrpcService<FakeLease>();
        app.MapGrpcService<FakeCluster>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new FakeServer(app, new Uri(address), kv, watch, lease, cluster);
    }

    /// <summary>Options for a fast, deterministic client: tiny backoff, short timeouts.</summary>
    public static StateClientOptions ClientOptions(params Uri[] endpoints)
    {
        var options = new StateClientOptions
        {
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
            RetryMaxDelay = TimeSpan.FromMilliseconds(5),
            RequestTimeout = TimeSpan.FromSeconds(5),
            ClientId = "test",
        };
        foreach (var endpoint in endpoints)
        {
            options.Endpoints.Add(endpoint);
        }

        return options;
    }

    public StateClient CreateClient(Action<StateClientOptions>? configure = null)
    {
        var options = ClientOptions(Address);
        configure?.Invoke(options);
        return new StateClient(options);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
