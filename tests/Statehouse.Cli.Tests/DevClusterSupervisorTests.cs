using System.Diagnostics;

namespace Statehouse.Cli.Tests;

/// <summary>The supervisor with stand-in nodes (<c>/bin/sh</c> scripts): starting, an early exit, and stopping on request.</summary>
public sealed class DevClusterSupervisorTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "statehouse-devcluster-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    [Fact]
    public async Task RunAsync_StopsEveryNode_AndSucceeds_WhenCancelled()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var plan = DevClusterPlan.Plan(3, _directory, 7100);
        var pids = new List<int>();
        using var stop = new CancellationTokenSource();
        var supervisor = new DevClusterSupervisor(_out, _error, stopGrace: TimeSpan.FromSeconds(5));

        var code = await supervisor.RunAsync(
            plan,
            node => Shell($"echo started {node.Id}; exec sleep 60"),
            started =>
            {
                pids.AddRange(started.Select(s => s.Pid));
                stop.CancelAfter(TimeSpan.FromMilliseconds(300));
            },
            stop.Token);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal(3, pids.Count);
        Assert.All(pids, pid => Assert.False(IsRunning(pid), $"pid {pid} still runs"));
        Assert.Contains("stopping 3 nodes", _out.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("killing", _error.ToString(), StringComparison.Ordinal);
        Assert.Contains("started n2", await File.ReadAllTextAsync(plan[1].LogPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ReportsANodeThatExits_AndStopsTheOthers()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var plan = DevClusterPlan.Plan(3, _directory, 7100);
        var pids = new List<int>();
        var supervisor = new DevClusterSupervisor(_out, _error, stopGrace: TimeSpan.FromSeconds(5), interruptRace: TimeSpan.FromMilliseconds(50));

        var code = await supervisor.RunAsync(
            plan,
            node => node.Id == "n2" ? Shell("echo 'cannot bind 127.0.0.1:7110' >&2; sleep 0.2; exit 3") : Shell("exec sleep 60"),
            started => pids.AddRange(started.Select(s => s.Pid)),
            CancellationToken.None);

        Assert.Equal(ExitCodes.Failure, code);
        var error = _error.ToString();
        Assert.Contains($"node n2 (pid {pids[1]}) exited with code 3", error, StringComparison.Ordinal);
        Assert.Contains("n2 | cannot bind 127.0.0.1:7110", error, StringComparison.Ordinal);
        Assert.Contains(plan[1].LogPath, error, StringComparison.Ordinal);
        Assert.All(pids, pid => Assert.False(IsRunning(pid), $"pid {pid} still runs"));
    }

    [Fact]
    public async Task RunAsync_KillsANodeThatIgnoresSigterm_AfterTheGracePeriod()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var plan = DevClusterPlan.Plan(1, _directory, 7100);
        var pids = new List<int>();
        using var stop = new CancellationTokenSource();
        var supervisor = new DevClusterSupervisor(_out, _error, stopGrace: TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();

        // The shell ignores SIGTERM, and so does the sleep it waits for.
        var code = await supervisor.RunAsync(
            plan,
            _ => Shell("trap '' TERM; echo ready; sleep 60; sleep 60"),
            started =>
            {
                pids.AddRange(started.Select(s => s.Pid));
                stop.CancelAfter(TimeSpan.FromMilliseconds(300));
            },
            stop.Token);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("did not stop within", _error.ToString(), StringComparison.Ordinal);
        Assert.False(IsRunning(pids[0]));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task RunAsync_Fails_WhenANodeCannotStart_AndStopsTheStartedOnes()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var plan = DevClusterPlan.Plan(2, _directory, 7100);
        var supervisor = new DevClusterSupervisor(_out, _error, stopGrace: TimeSpan.FromSeconds(5));

        var code = await supervisor.RunAsync(
            plan,
            node => node.Id == "n2" ? new ProcessStartInfo(Path.Combine(_directory, "no-such-program")) : Shell("exec sleep 60"),
            _ => Assert.Fail("no node list is printed when a node cannot start"),
            CancellationToken.None);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("cannot start node n2", _error.ToString(), StringComparison.Ordinal);
    }

    private static ProcessStartInfo Shell(string script)
    {
        var info = new ProcessStartInfo("/bin/sh");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        return info;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
