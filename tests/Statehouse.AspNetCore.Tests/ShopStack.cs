using System.Diagnostics;
using System.Net;

namespace Statehouse.AspNetCore.Tests;

/// <summary>
/// The shopping-cart sample as real processes on loopback: a 3-node Statehouse cluster, three app instances (app i's
/// client starts at node i, so reads are served by followers too) and the YARP round-robin balancer.
/// </summary>
public sealed class ShopStack : IAsyncDisposable
{
    /// <summary>
    /// Tests that start a whole stack run one at a time: two stacks at once (seven processes each, plus a browser) on a
    /// 2-core machine turned start-up waits into timeouts.
    /// </summary>
    public const string Collection = "shop stack";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "shop-e2e-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly Dictionary<string, Process> _processes = new();
    private readonly Dictionary<string, string[]> _commands = new();
    private readonly int[] _nodeHttp = new int[3];
    private readonly int[] _nodeGrpc = new int[3];
    private readonly int[] _appPorts = new int[3];

    public Uri Balancer { get; private set; } = null!;

    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Statehouse.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Statehouse.sln not found above the test binaries.");
        }
    }

    private static string Dll(string relative) => File.Exists(Path.Combine(Root, relative)) ? Path.Combine(Root, relative) : throw new FileNotFoundException("Build the solution in Release first.", relative);

    public async Task StartAsync()
    {
        Directory.CreateDirectory(_dir);
        var raft = new int[3];
        for (var i = 0; i < 3; i++)
        {
            (_nodeHttp[i], _nodeGrpc[i], raft[i], _appPorts[i]) = (StoreFixture.FreePort(), StoreFixture.FreePort(), StoreFixture.FreePort(), StoreFixture.FreePort());
        }

        var cli = Dll("src/Statehouse.Cli/bin/Release/net10.0/statehouse.dll");
        var initial = string.Join(",", Enumerable.Range(0, 3).Select(i => $"n{i + 1}=127.0.0.1:{raft[i]}"));
        for (var i = 0; i < 3; i++)
        {
            Start($"n{i + 1}", [cli, "serve", "--node-id", $"n{i + 1}", "--data", Path.Combine(_dir, $"n{i + 1}"), "--http", $"127.0.0.1:{_nodeHttp[i]}",
                "--grpc", $"127.0.0.1:{_nodeGrpc[i]}", "--raft", $"127.0.0.1:{raft[i]}", "--peer", $"127.0.0.1:{StoreFixture.FreePort()}", "--initial-cluster", initial, "--log-level", "Warning"]);
        }

        await WaitAsync(async http => await LeaderAsync(http) >= 0, "a Statehouse leader");
        var app = Dll("samples/ShoppingCart/ShoppingCart.App/bin/Release/net10.0/ShoppingCart.App.dll");
        for (var i = 0; i < 3; i++)
        {
            // App i talks to node i first: its reads are served by that node, leader or follower.
            var endpoints = string.Join(",", Enumerable.Range(0, 3).Select(n => $"http://127.0.0.1:{_nodeGrpc[(i + n) % 3]}"));
            Start($"app{i + 1}", [app, "--listen", $"127.0.0.1:{_appPorts[i]}", "--instance", $"app{i + 1}", "--state", "statehouse", "--statehouse", endpoints]);
        }

        var lbPort = StoreFixture.FreePort();
        Start("balancer", [Dll("samples/ShoppingCart/ShoppingCart.Balancer/bin/Release/net10.0/ShoppingCart.Balancer.dll"), "--listen", $"127.0.0.1:{lbPort}",
            "--backends", string.Join(",", _appPorts.Select(p => $"http://127.0.0.1:{p}"))]);
        Balancer = new Uri($"http://127.0.0.1:{lbPort}");
        for (var i = 0; i < 3; i++)
        {
            await WaitAppAsync(i + 1);
        }

        await Task.Delay(2500); // the balancer's health checks have seen every instance
    }

    public Task WaitAppAsync(int app) => WaitAsync(async http => (await http.GetAsync($"http://127.0.0.1:{_appPorts[app - 1]}/healthz")).IsSuccessStatusCode, $"app{app}");

    public async Task<int> LeaderAsync(HttpClient http)
    {
        for (var i = 0; i < 3; i++)
        {
            try
            {
                var status = await http.GetStringAsync($"http://127.0.0.1:{_nodeHttp[i]}/v1/status");
                if (status.Contains("\"isLeader\":true", StringComparison.Ordinal))
                {
                    return i;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
        }

        return -1;
    }

    public void Kill(string name)
    {
        var p = _processes[name];
        p.Kill();
        p.WaitForExit(10_000);
    }

    public void Restart(string name) => Start(name, _commands[name]);

    private void Start(string name, string[] command)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command)
        {
            info.ArgumentList.Add(a);
        }

        var log = new StreamWriter(Path.Combine(_dir, name + ".log"), append: true) { AutoFlush = true };
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes[name] = process;
        _commands[name] = command;
    }

    private async Task WaitAsync(Func<HttpClient, Task<bool>> ready, string what)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await ready(http))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{what} not ready within 60 s (logs in {_dir}).");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes.Values)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill();
                    p.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }

        await Task.CompletedTask;
    }
}
