using System.Text;
using Statehouse.Cli.Tests.Support;
using Statehouse.Client;

namespace Statehouse.Cli.Tests;

public sealed class TxnCommandTests
{
    private const string Json = """{"compare":[{"key":"k","target":"modRevision","op":"==","number":5}],"success":[{"put":{"key":"k","value":"v"}}],"failure":[{"get":{"key":"k"}}]}""";

    private static readonly TxnResult Succeeded = new(
        true,
        [
            new TxnOpResult { Kind = TxnOpKind.Put, Put = new PutResult(20, null, 0) },
            new TxnOpResult { Kind = TxnOpKind.Delete, Delete = new DeleteResult(2, [], 20) },
            new TxnOpResult { Kind = TxnOpKind.Increment, Increment = new IncrementResult(7, 20) },
            new TxnOpResult { Kind = TxnOpKind.Range, Range = new RangePage([FakeClient.Entry("a", "1", 3), FakeClient.Entry("b", "2", 4)], 2, false, null, 20) },
        ],
        20);

    [Fact]
    public async Task Txn_ReadsFile_CommitsTheBuilder_AndPrintsResults()
    {
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, Json);
        try
        {
            TxnBuilder? committed = null;
            var cli = new CliHarness(c => c.Txn = txn =>
            {
                committed = txn;
                return Succeeded;
            });

            Assert.Equal(0, await cli.RunAsync("txn", "--file", path));

            Assert.NotNull(committed);
            Assert.Equal((1, 1, 1), (committed.Compares.Count, committed.ThenOps.Count, committed.ElseOps.Count));
            Assert.Equal(["SUCCEEDED at revision 20", "put revision 20", "delete 2", "incr 7", "range 2 of 2", "  a 1", "  b 2"], cli.StdoutLines());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Txn_ReadsStdin_WhenNoFileIsGiven_AndPrintsFailedBranch()
    {
        var failed = new TxnResult(false, [new TxnOpResult { Kind = TxnOpKind.Get, Get = new GetResult(FakeClient.Entry("k", "current", 9), 12) }], 12);
        var cli = new CliHarness(c => c.Txn = _ => failed) { Stdin = Encoding.UTF8.GetBytes(Json) };

        Assert.Equal(0, await cli.RunAsync("txn"));

        Assert.Equal(["FAILED at revision 12", "get k current"], cli.StdoutLines());
    }

    [Fact]
    public async Task Txn_PrintsJson_WithJson()
    {
        var result = new TxnResult(
            false,
            [new TxnOpResult { Kind = TxnOpKind.Get, Get = new GetResult(null, 12) }, new TxnOpResult { Kind = TxnOpKind.Increment, Increment = new IncrementResult(3, 12) }],
            12);
        var cli = new CliHarness(c => c.Txn = _ => result) { Stdin = Encoding.UTF8.GetBytes(Json) };

        Assert.Equal(0, await cli.RunAsync("txn", "--file", "-", "--json"));

        Assert.Equal("{\"succeeded\":false,\"revision\":12,\"results\":[{\"type\":\"get\",\"revision\":12},{\"type\":\"incr\",\"revision\":12,\"value\":3}]}\n", cli.Stdout);
    }

    [Fact]
    public async Task Txn_ExitsWithUsage_WhenJsonIsMalformed()
    {
        var cli = new CliHarness { Stdin = Encoding.UTF8.GetBytes("""{"success":[{"put":{"key":"k"}}]}""") };

        Assert.Equal(ExitCodes.Usage, await cli.RunAsync("txn"));

        Assert.Equal("error: Usage: success[0].put: value (or valueBase64) is required.\n", cli.Stderr);
        Assert.DoesNotContain(cli.Client.Calls, c => c.Name == "Commit");
    }
}
