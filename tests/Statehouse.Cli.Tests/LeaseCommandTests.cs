using Statehouse.Cli.Commands;
using Statehouse.Cli.Tests.Support;
using Statehouse.Client;

namespace Statehouse.Cli.Tests;

public sealed class LeaseCommandTests
{
    [Fact]
    public async Task Grant_SendsTtlAndId_AndPrintsId()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("lease", "grant", "10", "--id", "123"));

        Assert.Equal([TimeSpan.FromSeconds(10), 123L], cli.Client.Single("LeaseGrant").Args);
        Assert.Equal("123\n", cli.Stdout);
    }

    [Fact]
    public async Task Grant_PrintsJson_WithJson()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("lease", "grant", "10", "--json"));

        Assert.Equal("{\"id\":77,\"ttlSeconds\":10,\"revision\":17}\n", cli.Stdout);
    }

    [Fact]
    public async Task Revoke_PrintsKeysDeleted()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("lease", "revoke", "5"));

        Assert.Equal([5L], cli.Client.Single("LeaseRevoke").Args);
        Assert.Equal("2\n", cli.Stdout);
    }

    [Fact]
    public async Task KeepAlive_RenewsOnce_WithOnce()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("lease", "keepalive", "5", "--once"));

        Assert.Single(cli.Client.Calls);
        Assert.Equal("lease 5 renewed, ttl 9s\n", cli.Stdout);
    }

    [Fact]
    public async Task KeepAlive_RenewsUntilCancelled_PrintingEachRenewal()
    {
        var renewals = 0;
        using var cancel = new CancellationTokenSource();
        var cli = new CliHarness(c => c.KeepAlive = id =>
        {
            if (++renewals == 2)
            {
                cancel.Cancel();
            }

            // A 1.5 s TTL renews every 500 ms.
            return new LeaseKeepAliveResult(id, TimeSpan.FromSeconds(1.5), 15);
        });

        Assert.Equal(0, await cli.RunAsync(cancel.Token, "lease", "keepalive", "5"));

        Assert.Equal(2, renewals);
        Assert.Equal(["lease 5 renewed, ttl 1s", "lease 5 renewed, ttl 1s"], cli.StdoutLines());
    }

    [Fact]
    public async Task KeepAlive_ExitsWithNotFound_WhenLeaseIsGone()
    {
        var cli = new CliHarness(c => c.KeepAlive = id => new LeaseKeepAliveResult(id, TimeSpan.Zero, 15));

        Assert.Equal(3, await cli.RunAsync("lease", "keepalive", "5"));

        Assert.Equal("error: NotFound: lease 5 not found (expired or revoked)\n", cli.Stderr);
    }

    [Theory]
    [InlineData(3, 1000)]
    [InlineData(30, 10_000)]
    [InlineData(1, 500)]
    public void RenewInterval_IsAThirdOfTtl_AndAtLeastHalfASecond(int ttlSeconds, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), LeaseCommand.RenewInterval(TimeSpan.FromSeconds(ttlSeconds)));
    }

    [Fact]
    public async Task Ttl_PrintsRemainingAndGranted_AndKeys()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("lease", "ttl", "5", "--keys"));

        Assert.Equal([5L, true], cli.Client.Single("LeaseTimeToLive").Args);
        Assert.Equal(["lease 5: 7s remaining of 10s", "  default/a", "  default/b"], cli.StdoutLines());
    }

    [Fact]
    public async Task Ttl_PrintsJson_WithoutKeys_UnlessAsked()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("lease", "ttl", "5", "--json"));

        Assert.Equal("{\"id\":5,\"ttlSeconds\":7,\"grantedTtlSeconds\":10,\"revision\":16}\n", cli.Stdout);
    }

    [Fact]
    public async Task Ttl_ExitsWithNotFound_WhenLeaseIsGone()
    {
        var cli = new CliHarness(c => c.TimeToLive = (id, _) => new LeaseTimeToLiveResult(id, null, TimeSpan.Zero, [], 16));

        Assert.Equal(3, await cli.RunAsync("lease", "ttl", "5"));
    }

    [Fact]
    public async Task List_PrintsOneIdPerLine()
    {
        var cli = new CliHarness();

        Assert.Equal(0, await cli.RunAsync("lease", "list"));

        Assert.Equal(["5", "6"], cli.StdoutLines());
    }

    [Theory]
    [InlineData(new[] { "lease", "grant" }, "Required argument missing")]
    [InlineData(new[] { "lease", "grant", "0" }, "TTL_SECONDS must be at least 1")]
    [InlineData(new[] { "lease", "grant", "10", "--id", "0" }, "--id must be at least 1")]
    [InlineData(new[] { "lease", "revoke", "abc" }, "Cannot parse argument 'abc'")]
    [InlineData(new[] { "lease", "keepalive", "-1" }, "ID")]
    [InlineData(new[] { "lease", "ttl" }, "Required argument missing")]
    public async Task BadInput_ExitsWithUsage(string[] args, string message)
    {
        var cli = new CliHarness();

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync(args));

        Assert.Contains(message, cli.Stderr, StringComparison.Ordinal);
    }
}
