using Microsoft.Extensions.DependencyInjection;

namespace Statehouse.Client.Tests;

public sealed class ServiceCollectionTests
{
    [Fact]
    public async Task AddStatehouse_RegistersOneConfiguredClient()
    {
        var services = new ServiceCollection();
        services.AddStatehouse(o =>
        {
            o.Endpoints.Add(new Uri("http://127.0.0.1:7999"));
            o.DefaultKeyspace = "carts";
            o.ClientId = "cart-api";
        });

        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<StateClient>();

        Assert.Same(client, provider.GetRequiredService<StateClient>());
        Assert.Equal("carts", client.DefaultKeyspace);
        Assert.Equal("cart-api", client.ClientId);
        Assert.Equal([new Uri("http://127.0.0.1:7999")], client.Endpoints);
    }

    [Fact]
    public void StateClient_UsesTheDefaultEndpoint_WhenNoneIsConfigured()
    {
        using var client = new StateClient(new StateClientOptions());

        Assert.Equal(StateClientOptions.DefaultEndpoint, client.CurrentEndpoint);
        Assert.Equal(32, client.ClientId.Length);
    }

    [Fact]
    public void StateClient_RejectsInvalidOptions()
    {
        var options = new StateClientOptions { RequestTimeout = TimeSpan.Zero };

        Assert.Throws<ArgumentOutOfRangeException>(() => new StateClient(options));
    }

    [Fact]
    public void StateClient_IsUnaffected_ByLaterChangesToItsOptions()
    {
        var options = new StateClientOptions();
        options.Endpoints.Add(new Uri("http://127.0.0.1:7001"));
        using var client = new StateClient(options);

        options.Endpoints.Add(new Uri("http://127.0.0.1:7002"));
        options.DefaultKeyspace = "changed";

        Assert.Single(client.Endpoints);
        Assert.Equal("default", client.DefaultKeyspace);
    }

    [Fact]
    public void RequestIds_AreUnique_AcrossClientsSharingAClientId()
    {
        var a = new RequestIdGenerator("svc");
        var b = new RequestIdGenerator("svc");

        Assert.NotEqual(a.Next(), b.Next());
        Assert.Matches("^svc/[0-9a-f]{8}:2$", a.Next());
    }

    [Theory]
    [InlineData("10.1.2.3:7071", "http://10.1.2.3:7071/")]
    [InlineData("https://n2:9000", "https://n2:9000/")]
    [InlineData("", null)]
    [InlineData("ftp://x", null)]
    public void TryParseHint_AcceptsHostPortOrUri(string hint, string? expected)
    {
        var parsed = EndpointSet.TryParseHint(hint, new Uri("http://n1:7071"));

        Assert.Equal(expected, parsed?.ToString());
    }
}
