using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Statehouse.Client;
using Statehouse.Server;

namespace Statehouse.AspNetCore.Tests;

/// <summary>One real Statehouse node (in this process, on loopback, data in a temp folder) shared by a test class.</summary>
public sealed class StoreFixture : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "statehouse-aspnet-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _server;

    public Uri GrpcUri { get; private set; } = null!;

    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async Task InitializeAsync()
    {
        var grpc = FreePort();
        _server = await StatehouseServer.StartAsync(new ServerOptions
        {
            DataDirectory = _data,
            HttpEndpoint = $"127.0.0.1:{FreePort()}",
            GrpcEndpoint = $"127.0.0.1:{grpc}",
        });
        GrpcUri = new Uri($"http://127.0.0.1:{grpc}");
    }

    public StateClient NewClient() => new(new StateClientOptions { Endpoints = { GrpcUri } });

    /// <summary>An app instance on its own loopback port using the shared store, configured by the test.</summary>
    public async Task<AppInstance> StartAppAsync(Action<IServiceCollection> services, Action<WebApplication> pipeline)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var port = FreePort();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Services.AddStatehouse(o => o.Endpoints.Add(GrpcUri));
        services(builder.Services);
        var app = builder.Build();
        pipeline(app);
        await app.StartAsync();
        return new AppInstance(app, new Uri($"http://127.0.0.1:{port}"));
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.StopAsync();
            await _server.DisposeAsync();
        }

        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A running app instance; disposing stops it.</summary>
public sealed class AppInstance(WebApplication app, Uri address) : IAsyncDisposable
{
    public Uri Address { get; } = address;

    public IServiceProvider Services => app.Services;

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
