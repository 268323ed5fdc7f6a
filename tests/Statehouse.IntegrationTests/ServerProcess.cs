using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Statehouse.IntegrationTests;

/// <summary>
/// A real <c>statehouse serve</c> process on loopback ports, with its own data directory. Can be killed with SIGKILL
/// and restarted on the same data. Ports come from 20000–32000 (below the ephemeral range, see notes on port clashes).
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private static int _nextPort = 20_000 + (Environment.ProcessId % 500 * 20);
    private readonly StringBuilder _output = new();
    private readonly string[] _extraArgs;
    private Process? _process;

    public ServerProcess(string? dataDirectory = null, params string[] extraArgs)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "statehouse-it-" + Guid.NewGuid().ToString("N")[..12]);
        _extraArgs = extraArgs;
        HttpPort = FreePort();
        GrpcPort = FreePort();
    }

    public string DataDirectory { get; }

    public int HttpPort { get; }

    public int GrpcPort { get; }

    public Uri HttpUri => new($"http://127.0.0.1:{HttpPort}");

    public Uri GrpcUri => new($"http://127.0.0.1:{GrpcPort}");

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>The exit code once the process has exited; null while it runs (or before it started).</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>Waits for the process to exit on its own and for its output to be read to the end.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        var process = _process ?? throw new InvalidOperationException("Not started.");
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        process.WaitForExit();
        return process.ExitCode;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Path of the built CLI (same configuration as the tests).</summary>
    public static string CliDll
    {
        get
        {
            var testDir = AppContext.BaseDirectory;
            var configuration = testDir.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            var dir = new DirectoryInfo(testDir);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Statehouse.sln")))
            {
                dir = dir.Parent;
            }

            if (dir is null)
            {
                throw new InvalidOperationException("Cannot find the repository root from " + testDir);
            }

            var dll = Path.Combine(dir.FullName, "src", "Statehouse.Cli", "bin", configuration, "net10.0", "statehouse.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("Build src/Statehouse.Cli first.", dll);
        }
    }

    public static int FreePort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Interlocked.Increment(ref _nextPort);
            if (port > 32_000)
            {
                Interlocked.Exchange(ref _nextPort, 20_000);
                continue;
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException("No free port in 20000–32000.");
    }

    /// <summary>Starts the process and waits until /healthz answers.</summary>
    public async Task StartAsync(TimeSpan? timeout = null, bool anyAnswer = false)
    {
        var info = new ProcessStartInfo(RunAsUid is null ? "dotnet" : "setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (RunAsUid is { } uid && !OperatingSystem.IsWindows())
        {
            // Its own uid, so iptables can cut this process's traffic (owner match) to make partitions on loopback.
            var home = Path.Combine(Path.GetTempPath(), $"statehouse-home-{uid}");
            Directory.CreateDirectory(home);
            Directory.CreateDirectory(DataDirectory);
            File.SetUnixFileMode(home, (UnixFileMode)0x1FF);
            File.SetUnixFileMode(DataDirectory, (UnixFileMode)0x1FF);
            info.Environment["HOME"] = home;
            info.Environment["DOTNET_CLI_HOME"] = home;
            info.Environment["DOTNET_NOLOGO"] = "1";
            foreach (var arg in new[] { "--reuid", uid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--regid", uid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--clear-groups", "dotnet" })
            {
                info.ArgumentList.Add(arg);
            }
        }

        info.ArgumentList.Add(CliDll);
        foreach (var arg in new[] { "serve", "--data", DataDirectory, "--http", $"127.0.0.1:{HttpPort}", "--grpc", $"127.0.0.1:{GrpcPort}" }.Concat(_extraArgs))
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the server.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        while (deadline.Elapsed < limit)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with {process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(HttpUri, "/healthz"));
                // anyAnswer: a node expected to report itself unhealthy (a removed member) may never pass health.
                if (response.IsSuccessStatusCode || anyAnswer)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"The server did not become healthy in {limit}:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 1_000_000)
            {
                _output.AppendLine(line);
            }
        }
    }

    /// <summary>Runs the server under this uid (via setpriv) when set; needs root.</summary>
    public int? RunAsUid { get; init; }

    /// <summary>Sends a signal (STOP, CONT) to the server process.</summary>
    public void Signal(string name)
    {
        if (_process is { HasExited: false } p)
        {
            Process.Start("kill", ["-" + name, p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit(5_000);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: false);
            p.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM and wait for a clean exit.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            _ = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit(5_000);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        await Task.Yield();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
