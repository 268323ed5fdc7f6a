using Statehouse.Checking;
using Statehouse.Chaos.Formats;

namespace Statehouse.Chaos.Tests;

public sealed class JsonLinesHistoryTests
{
    private static string L(int client, string phase, string op, string? value = null, string? expected = null, long t = 0) =>
        JsonLinesHistory.Serialize(new HistoryEvent(client, phase, op, "k", value, expected, t));

    [Fact]
    public void RoundTrip_PairsInvokesWithCompletions_AndChecks()
    {
        string[] lines =
        [
            L(1, "invoke", "write", "a", t: 1), L(1, "ok", "write", t: 2),
            L(2, "invoke", "read", t: 3), L(2, "ok", "read", "a", t: 4),
            L(1, "invoke", "cas", "b", "z", t: 5), L(1, "fail", "cas", t: 6),
            L(3, "invoke", "write", "c", t: 7), L(3, "info", "write", t: 8),
            L(2, "invoke", "write", "d", t: 9),
        ];
        var ops = JsonLinesHistory.Read(lines);
        Assert.Equal(5, ops.Count);
        Assert.Contains(ops, o => o.Kind == OpKind.CompareAndSet && !o.Succeeded && !o.Unknown);
        Assert.Equal(2, ops.Count(o => o.Unknown));
        Assert.Equal(Verdict.Linearizable, LinearizabilityChecker.Check(ops, null, TimeSpan.FromSeconds(5)).Verdict);
    }

    [Fact]
    public void AStaleRead_InTheFile_IsCaught()
    {
        string[] lines =
        [
            L(1, "invoke", "write", "a", t: 1), L(1, "ok", "write", t: 2),
            L(1, "invoke", "write", "b", t: 3), L(1, "ok", "write", t: 4),
            L(2, "invoke", "read", t: 5), L(2, "ok", "read", "a", t: 6),
        ];
        Assert.Equal(Verdict.NotLinearizable, LinearizabilityChecker.Check(JsonLinesHistory.Read(lines), null, TimeSpan.FromSeconds(5)).Verdict);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"client\":1,\"phase\":\"ok\",\"op\":\"read\",\"key\":\"k\",\"timeNs\":1}")]
    [InlineData("{\"client\":1,\"phase\":\"invoke\",\"op\":\"frobnicate\",\"key\":\"k\",\"timeNs\":1}\n{\"client\":1,\"phase\":\"ok\",\"op\":\"frobnicate\",\"key\":\"k\",\"timeNs\":2}")]
    public void BadInput_IsAFormatError_WithTheLine(string text)
    {
        var ex = Assert.Throws<FormatException>(() => JsonLinesHistory.Read(text.Split('\n')));
        Assert.Contains("Line", ex.Message, StringComparison.Ordinal);
    }
}
