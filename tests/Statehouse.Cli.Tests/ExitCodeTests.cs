using System.Net.Http;
using System.Net.Sockets;
using Grpc.Core;
using Statehouse.Cli.Tests.Support;
using Statehouse.Client;
using CoreErrorCode = Statehouse.Core.ErrorCode;

namespace Statehouse.Cli.Tests;

public sealed class ExitCodeTests
{
    public static TheoryData<StatehouseErrorCode> ClientCodes() => new(Enum.GetValues<StatehouseErrorCode>());

    [Theory]
    [MemberData(nameof(ClientCodes))]
    public void ToCore_FindsACoreCodeOfTheSameName_ForEveryClientCode(StatehouseErrorCode code)
    {
        var core = ExitCodes.ToCore(code);

        Assert.NotNull(core);
        Assert.Equal(code.ToString(), core.Value.ToString());
    }

    [Theory]
    [InlineData(StatehouseErrorCode.NotFound, 3)]
    [InlineData(StatehouseErrorCode.PreconditionFailed, 4)]
    [InlineData(StatehouseErrorCode.NotLeader, 5)]
    [InlineData(StatehouseErrorCode.Unavailable, 6)]
    [InlineData(StatehouseErrorCode.Timeout, 7)]
    [InlineData(StatehouseErrorCode.Compacted, 8)]
    [InlineData(StatehouseErrorCode.InvalidArgument, 9)]
    [InlineData(StatehouseErrorCode.QuotaExceeded, 10)]
    [InlineData(StatehouseErrorCode.Unauthenticated, 11)]
    [InlineData(StatehouseErrorCode.PermissionDenied, 12)]
    public void For_UsesTheServersTable(StatehouseErrorCode code, int exitCode)
    {
        Assert.Equal(exitCode, ExitCodes.For(code));
        Assert.Equal(Statehouse.Server.ErrorMapping.ToExitCode(Enum.Parse<CoreErrorCode>(code.ToString())), ExitCodes.For(code));
    }

    [Fact]
    public void For_IsFailure_ForAnUnknownCode()
    {
        Assert.Equal(ExitCodes.Failure, ExitCodes.For((StatehouseErrorCode)99));
    }

    [Fact]
    public void ExitCodes_OfTheCli_DoNotCollideWithTheServersTable()
    {
        var table = Enum.GetValues<CoreErrorCode>().Where(c => c != CoreErrorCode.None).Select(ExitCodes.For).ToHashSet();

        Assert.DoesNotContain(ExitCodes.Usage, table);
        Assert.DoesNotContain(ExitCodes.Success, table);
        Assert.DoesNotContain(ExitCodes.Interrupted, table);
    }

    [Fact]
    public async Task StatehouseException_PrintsCodeOnce_AndExitsWithItsCode()
    {
        var rpc = new RpcException(new Status(StatusCode.FailedPrecondition, "key 'k' is at revision 9"), new Metadata { { "statehouse-code", "PreconditionFailed" } });
        var cli = new CliHarness(c => c.Failure = StatehouseException.FromRpcException(rpc));

        Assert.Equal(4, await cli.RunAsync("put", "k", "v", "--if-mod-revision", "3"));

        Assert.Equal("error: PreconditionFailed: key 'k' is at revision 9\n", cli.Stderr);
        Assert.Equal(string.Empty, cli.Stdout);
    }

    [Fact]
    public async Task StatehouseException_IsJsonOnStderr_WithJson()
    {
        var cli = new CliHarness(c => c.Failure = new StatehouseException(StatehouseErrorCode.Compacted, "revision 3 is compacted"));

        Assert.Equal(8, await cli.RunAsync("get", "k", "--revision", "3", "--json"));

        Assert.Equal("{\"code\":\"Compacted\",\"message\":\"revision 3 is compacted\"}\n", cli.Stderr);
    }

    [Fact]
    public async Task ConnectionRefused_IsUnavailable_WithAHintToStartANode()
    {
        var refused = new RpcException(new Status(StatusCode.Unavailable, "Error connecting to subchannel.", new SocketException((int)SocketError.ConnectionRefused)));
        var cli = new CliHarness(c => c.Failure = StatehouseException.FromRpcException(refused));

        Assert.Equal(6, await cli.RunAsync("status", "--endpoint", "http://127.0.0.1:27071"));

        Assert.Equal(
            "error: Unavailable: cannot connect to http://127.0.0.1:27071: connection refused\n"
            + "hint: is a node running at http://127.0.0.1:27071? start one with: statehouse serve\n",
            cli.Stderr);
    }

    [Fact]
    public async Task ConnectionFailure_IsRecognised_ThroughHttpRequestException()
    {
        var failure = new StatehouseException(
            StatehouseErrorCode.Unavailable,
            "Unavailable: failed",
            new HttpRequestException(HttpRequestError.ConnectionError, "no route"));
        var cli = new CliHarness(c => c.Failure = failure);

        Assert.Equal(6, await cli.RunAsync("status", "--json"));

        Assert.StartsWith("{\"code\":\"Unavailable\",\"message\":\"cannot connect to http://127.0.0.1:7071: connection failed\",\"hint\":", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http11Answer_HintsAtTheGrpcPort()
    {
        var wrongPort = new RpcException(new Status(
            StatusCode.Internal,
            "Error starting gRPC call.",
            new HttpRequestException("closed", new HttpProtocolException(0xd, "HTTP_1_1_REQUIRED", null))));
        var cli = new CliHarness(c => c.Failure = StatehouseException.FromRpcException(wrongPort));

        Assert.Equal(6, await cli.RunAsync("status", "--endpoint", "http://127.0.0.1:7070"));

        Assert.Contains("hint: the endpoint speaks HTTP/1.1: --endpoint must name a node's gRPC port", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnavailableFromANode_HasNoConnectionHint()
    {
        var cli = new CliHarness(c => c.Failure = new StatehouseException(StatehouseErrorCode.Unavailable, "no leader"));

        Assert.Equal(6, await cli.RunAsync("status"));

        Assert.Equal("error: Unavailable: no leader\n", cli.Stderr);
    }

    [Fact]
    public async Task Timeout_ExitsWithTimeoutsCode_WhenTheCommandOutlivesIt()
    {
        var cli = new CliHarness(c => c.Hang = true);

        Assert.Equal(7, await cli.RunAsync("incr", "k", "--timeout", "0.05"));

        Assert.Equal("error: Timeout: the command did not complete within 0.05 s\n", cli.Stderr);
    }

    [Fact]
    public async Task Cancellation_OfAUnaryCommand_ExitsAsInterrupted()
    {
        var cli = new CliHarness(c => c.Hang = true);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        Assert.Equal(ExitCodes.Interrupted, await cli.RunAsync(cancel.Token, "status"));
    }

    [Fact]
    public async Task UnexpectedException_ExitsWithFailure()
    {
        var cli = new CliHarness(c => c.Failure = new InvalidOperationException("boom"));

        Assert.Equal(ExitCodes.Failure, await cli.RunAsync("status"));

        Assert.Equal("error: Internal: InvalidOperationException: boom\n", cli.Stderr);
    }

    [Fact]
    public async Task CoreStatehouseException_MapsThroughTheSameTable()
    {
        var cli = new CliHarness(c => c.Failure = new Statehouse.Core.StatehouseException(CoreErrorCode.QuotaExceeded, "too many keys"));

        Assert.Equal(10, await cli.RunAsync("status"));

        Assert.Equal("error: QuotaExceeded: too many keys\n", cli.Stderr);
    }

    [Theory]
    [InlineData("NotFound: gone", "NotFound", "gone")]
    [InlineData("gone", "NotFound", "gone")]
    [InlineData("Timeout: NotFound: x", "NotFound", "Timeout: NotFound: x")]
    public void WithoutCodePrefix_StripsOnlyALeadingCode(string message, string code, string expected)
    {
        Assert.Equal(expected, CliRunner.WithoutCodePrefix(message, code));
    }
}
