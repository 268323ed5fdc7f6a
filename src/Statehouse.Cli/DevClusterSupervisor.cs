using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Statehouse.Cli;

/// <summary>
/// Runs the node processes of <c>statehouse dev-cluster</c>: starts them, waits for Ctrl+C (cancellation) or for one
/// of them to exit, and then stops the others, gracefully first (SIGTERM) and by force after a grace period.
/// </summary>
/// <remarks>
/// Each node's standard output and error go to its log file (at most <see cref="MaxLogBytes"/> per run); the last
/// <see cref="TailLines"/> lines are kept in memory to explain an early exit.
/// </remarks>
internal sealed class DevClusterSupervisor
{
    /// <summary>How long stopped nodes get to exit after SIGTERM before they are killed.</summary>
    public static readonly TimeSpan DefaultStopGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an exiting node waits to be explained by a Ctrl+C: the terminal sends SIGINT to the whole process
    /// group, so the nodes may see it as early as this process does.
    /// </summary>
    public static readonly TimeSpan DefaultInterruptRace = TimeSpan.FromMilliseconds(500);

    public const int TailLines = 20;

    public const long MaxLogBytes = 64L << 20;

    private const int SigTerm = 15;

    private readonly TextWriter _out;
    private readonly TextWriter _error;
    private readonly TimeSpan _stopGrace;
    private readonly TimeSpan _interruptRace;

    public DevClusterSupervisor(TextWriter output, TextWriter error, TimeSpan? stopGrace = null, TimeSpan? interruptRace = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        _out = output;
        _error = error;
        _stopGrace = stopGrace ?? DefaultStopGrace;
        _interruptRace = interruptRace ?? DefaultInterruptRace;
    }

    /// <summary>Runs the nodes until <paramref name="cancellationToken"/> is cancelled or one of them exits.</summary>
    /// <param name="nodes">The nodes.</param>
    /// <param name="startInfo">How to start a node (tests substitute another program).</param>
    /// <param name="started">Called once every node runs, with each node's process id.</param>
    /// <param name="cancellationToken">Ctrl+C or SIGTERM: stop the nodes and return success.</param>
    /// <returns><see cref="ExitCodes.Success"/> when stopped on request, <see cref="ExitCodes.Failure"/> when a node failed to start or exited.</returns>
    public async Task<int> RunAsync(
        IReadOnlyList<DevNode> nodes,
        Func<DevNode, ProcessStartInfo> startInfo,
        Action<IReadOnlyList<(DevNode Node, int Pid)>> started,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(startInfo);
        ArgumentNullException.ThrowIfNull(started);
        var running = new List<RunningNode>(nodes.Count);
        try
        {
            // 1. Start every node; a failure to start stops the ones already running.
            foreach (var node in nodes)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    await StopAllAsync(running).ConfigureAwait(false);
                    return ExitCodes.Success;
                }

                try
                {
                    running.Add(RunningNode.Start(node, startInfo(node)));
                }
                catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    await _error.WriteLineAsync($"error: Internal: cannot start node {node.Id}: {ex.Message}").ConfigureAwait(false);
                    await StopAllAsync(running).ConfigureAwait(false);
                    return ExitCodes.Failure;
                }
            }

            started(running.Select(r => (r.Node, r.Pid)).ToArray());

            // 2. Wait for a stop request or for a node to exit.
            var stopRequested = Task.Delay(Timeout.Infinite, cancellationToken);
            var first = await Task.WhenAny(running.Select(r => r.Exited).Append(stopRequested)).ConfigureAwait(false);
            if (first != stopRequested)
            {
                await Task.WhenAny(stopRequested, Task.Delay(_interruptRace, CancellationToken.None)).ConfigureAwait(false);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                await _out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"stopping {running.Count(r => !r.HasExited)} nodes...")).ConfigureAwait(false);
                await StopAllAsync(running).ConfigureAwait(false);
                await _out.WriteLineAsync("stopped").ConfigureAwait(false);
                return ExitCodes.Success;
            }

            // 3. A node exited on its own: say which and why, and take the rest down with it.
            foreach (var node in running.Where(r => r.HasExited))
            {
                await ReportExitAsync(node).ConfigureAwait(false);
            }

            await StopAllAsync(running).ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        finally
        {
            foreach (var node in running)
            {
                node.Dispose();
            }
        }
    }

    /// <summary>SIGTERM to every running node, then kill those still running after the grace period. Bounded in time.</summary>
    private async Task StopAllAsync(IReadOnlyList<RunningNode> running)
    {
        foreach (var node in running.Where(r => !r.HasExited))
        {
            node.RequestStop();
        }

        var all = Task.WhenAll(running.Select(r => r.Exited));
        await Task.WhenAny(all, Task.Delay(_stopGrace, CancellationToken.None)).ConfigureAwait(false);
        foreach (var node in running.Where(r => !r.HasExited))
        {
            await _error.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"warning: node {node.Node.Id} (pid {node.Pid}) did not stop within {_stopGrace.TotalSeconds:0.#} s; killing it")).ConfigureAwait(false);
            node.Kill();
        }

        await Task.WhenAny(all, Task.Delay(_stopGrace, CancellationToken.None)).ConfigureAwait(false);
    }

    private async Task ReportExitAsync(RunningNode node)
    {
        await _error.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"error: Unavailable: node {node.Node.Id} (pid {node.Pid}) exited with code {node.ExitCode}; log: {node.Node.LogPath}")).ConfigureAwait(false);
        foreach (var line in node.Tail())
        {
            await _error.WriteLineAsync($"  {node.Node.Id} | {line}").ConfigureAwait(false);
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>One started node: its process, log file and the last lines it wrote.</summary>
    private sealed class RunningNode : IDisposable
    {
        private readonly Process _process;
        private readonly StreamWriter _log;
        private readonly Queue<string> _tail = new(TailLines);
        private long _logBytes;
        private bool _closed;

        private RunningNode(DevNode node, Process process, StreamWriter log)
        {
            Node = node;
            _process = process;
            _log = log;
            Pid = process.Id;
            Exited = process.WaitForExitAsync();
        }

        public DevNode Node { get; }

        public int Pid { get; }

        /// <summary>Completes when the process has exited and its output is drained.</summary>
        public Task Exited { get; }

        public bool HasExited => _process.HasExited;

        public int ExitCode => _process.ExitCode;

        public static RunningNode Start(DevNode node, ProcessStartInfo info)
        {
            info.UseShellExecute = false;
            info.RedirectStandardOutput = true;
            info.RedirectStandardError = true;
            var folder = Path.GetDirectoryName(Path.GetFullPath(node.LogPath));
            if (folder is not null)
            {
                Directory.CreateDirectory(folder);
            }

            var log = new StreamWriter(new FileStream(node.LogPath, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { AutoFlush = true };
            Process? process = null;
            try
            {
                process = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start.");
                var running = new RunningNode(node, process, log);
                process.OutputDataReceived += (_, e) => running.Append(e.Data);
                process.ErrorDataReceived += (_, e) => running.Append(e.Data);
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                return running;
            }
            catch
            {
                process?.Dispose();
                log.Dispose();
                throw;
            }
        }

        /// <summary>Asks the process to stop: SIGTERM where there are signals, else (Windows) a kill.</summary>
        public void RequestStop()
        {
            if (_process.HasExited)
            {
                return;
            }

            if (OperatingSystem.IsWindows() || SendSignal(Pid, SigTerm) != 0)
            {
                Kill();
            }
        }

        public void Kill()
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited meanwhile.
            }
        }

        public string[] Tail()
        {
            lock (_tail)
            {
                return [.. _tail];
            }
        }

        public void Dispose()
        {
            lock (_tail)
            {
                _closed = true;
                _log.Dispose();
            }

            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_tail)
            {
                if (_tail.Count == TailLines)
                {
                    _tail.Dequeue();
                }

                _tail.Enqueue(line);
                if (_logBytes < MaxLogBytes && !_closed)
                {
                    _logBytes += line.Length + 1;
                    _log.WriteLine(_logBytes < MaxLogBytes ? line : "[log truncated: dev-cluster keeps at most 64 MiB per node and run]");
                }
            }
        }
    }
}
