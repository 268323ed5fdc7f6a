using Statehouse.Cli.Tests.Support;

namespace Statehouse.Cli.Tests;

public sealed class GlobalOptionsTests
{
    [Fact]
    public async Task Endpoint_DefaultsToLocalNode_WhenNeitherOptionNorVariableIsSet()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("status"));

        Assert.Equal([new Uri("http://127.0.0.1:7071")], cli.Client.Settings.Endpoints);
        Assert.Equal("default", cli.Client.Settings.Keyspace);
        Assert.Null(cli.Client.Settings.Timeout);
    }

    [Fact]
    public async Task Endpoint_ComesFromEnvironment_WhenOptionIsAbsent()
    {
        var cli = new CliHarness().WithEnvironment("STATEHOUSE_ENDPOINT", "http://a:1,http://b:2");

        Assert.Equal(0, await cli.RunAsync("status"));

        Assert.Equal([new Uri("http://a:1"), new Uri("http://b:2")], cli.Client.Settings.Endpoints);
    }

    [Fact]
    public async Task Endpoint_AcceptsRepeatedAndCommaSeparatedValues_AndHostPortWithoutScheme()
    {
        var cli = new CliHarness().WithEnvironment("STATEHOUSE_ENDPOINT", "http://ignored:1");

        Assert.Equal(0, await cli.RunAsync("get", "k", "--endpoint", "http://a:1,b:2", "--endpoint", "https://c:3"));

        Assert.Equal([new Uri("http://a:1"), new Uri("http://b:2"), new Uri("https://c:3")], cli.Client.Settings.Endpoints);
    }

    [Fact]
    public async Task GlobalOptions_ApplyToSubcommands()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("lease", "grant", "10", "--keyspace", "carts", "--timeout", "2.5", "--json"));

        Assert.Equal("carts", cli.Client.Settings.Keyspace);
        Assert.Equal(TimeSpan.FromSeconds(2.5), cli.Client.Settings.Timeout);
        Assert.StartsWith("{", cli.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--endpoint", "ftp://x:1", "not an http:// or https:// URL")]
    [InlineData("--endpoint", ",", "at least one URL")]
    [InlineData("--keyspace", "", "--keyspace must not be empty")]
    [InlineData("--timeout", "0", "--timeout must be a positive number")]
    [InlineData("--timeout", "-3", "--timeout must be a positive number")]
    [InlineData("--timeout", "soon", "--timeout")]
    public async Task BadGlobalOption_ExitsWithUsage(string option, string value, string message)
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync("status", option, value));

        Assert.Contains(message, cli.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("error: Usage: ", cli.Stderr, StringComparison.Ordinal);
        Assert.Empty(cli.Clients);
    }

    [Fact]
    public async Task UnknownCommand_ExitsWithUsage()
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync("frobnicate"));

        Assert.Contains("frobnicate", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParseError_IsJsonOnStderr_WithJson()
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync("lease", "grant", "zero", "--json"));

        Assert.StartsWith("{\"code\":\"Usage\",\"message\":", cli.Stderr, StringComparison.Ordinal);
        Assert.Contains("\"hint\":\"see: statehouse lease grant --help\"", cli.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, cli.Stdout);
    }

    [Fact]
    public async Task CommandGroupWithoutSubcommand_ExitsWithUsage()
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync("lease"));
        Assert.Equal(ExitCodes.Usage, await cli.RunAsync("keyspace"));
        Assert.Equal(ExitCodes.Usage, await cli.RunAsync("snapshot"));
    }

    [Fact]
    public async Task Help_ExitsWithSuccess_AndPrintsToStdout()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("put", "--help"));

        Assert.Contains("--if-mod-revision", cli.Stdout, StringComparison.Ordinal);
        Assert.Contains("--endpoint", cli.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_IsDisposed_AfterTheCommand()
    {
        var cli = new CliHarness();

        await cli.RunAsync("incr", "n");

        Assert.True(cli.Client.Disposed);
    }
}
