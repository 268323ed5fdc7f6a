namespace Statehouse.IntegrationTests;

/// <summary>One server process shared by the tests of a class.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public ServerProcess Server { get; } = new();

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Server.StartAsync();
        Http = new HttpClient { BaseAddress = Server.HttpUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}
