using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Statehouse.Chaos.Runner;

/// <summary>
/// A cluster of real <c>statehouse serve</c> processes on loopback, node i on its own address 127.0.0.(i+1) (and its
/// own ports), each under its own uid when partitions are wanted (<see cref="OwnerPartitions"/>). Every process is
/// stopped by PID at the end.
/// </summary>
internal sealed class NodeProcesses : IAsyncDisposable
{
    private readonly string _statehouse;
    private readonly string _root;
    private readonly bool _separateUsers;
    private readonly Process?[] _processes;
    private readonly OwnerPartitions _partitions = new();

    private readonly IReadOnlyList<string> _extraArguments;
    private readonly int?[] _joinedVia;

    public NodeProcesses(string statehouse, int count, int basePort, bool separateUsers, string root, IReadOnlyList<string>? extraArguments = null)
    {
        _extraArguments = extraArguments ?? [];
        _statehouse = statehouse;
        _root = root;
        _separateUsers = separateUsers;
        Count = count;
        BasePort = basePort;
        _processes = new Process?[count];
        _joinedVia = new int?[count];
    }

    public int Count { get; }

    public int BasePort { get; }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(2) };

    public int HttpPort(int i) => BasePort + (10 * i);

    public int GrpcPort(int i) => BasePort + (10 * i) + 1;

    public int RaftPort(int i) => BasePort + (10 * i) + 2;

    public int PeerPort(int i) => BasePort + (10 * i) + 3;

    public int Uid(int i) => 62000 + i;

    public Uri Url(int i, string path) => new($"http://{Address(i)}:{HttpPort(i)}{path}");

    /// <summary>Node i's loopback address.</summary>
    public static string Address(int i) => $"127.0.0.{i + 1}";

    public bool IsRunning(int i) => _processes[i] is { HasExited: false };

    /// <summary>The member id of node <paramref name="i"/>.</summary>
    public static string Id(int i) => $"n{i + 1}";

    private string DataFolder(int i) => Path.Combine(_root, Id(i));

    /// <summary>Deletes a stopped node's data folder (it comes back as a fresh node).</summary>
    public void Wipe(int i)
    {
        if (IsRunning(i))
        {
            throw new InvalidOperationException($"{Id(i)} is running; stop it before wiping its data.");
        }

        if (Directory.Exists(DataFolder(i)))
        {
            Directory.Delete(DataFolder(i), recursive: true);
        }
    }

    /// <summary>
    /// Starts node <paramref name="i"/>: as a founding member (its data folder remembers the membership after the first
    /// start), or with <paramref name="joinVia"/> as a fresh node asking that member to add it.
    /// </summary>
    public void Start(int i, int? joinVia = null)
    {
        // A node that once joined keeps joining on every restart: until its join commits, its data folder holds no
        // membership, and --initial-cluster would found a second cluster; once it is a member, a join is a no-op.
        joinVia ??= _joinedVia[i];
        _joinedVia[i] = joinVia;
        var data = DataFolder(i);
        Directory.CreateDirectory(data);
        var initial = string.Join(",", Enumerable.Range(0, Count).Select(n => $"{Id(n)}={Address(n)}:{RaftPort(n)}"));
        var command = new List<string>();
        if (_separateUsers && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(data, (UnixFileMode)0x1FF);
            command.AddRange(["setpriv", "--reuid", Uid(i).ToString(CultureInfo.InvariantCulture), "--regid", Uid(i).ToString(CultureInfo.InvariantCulture), "--clear-groups"]);
        }

        if (_statehouse.EndsWith(".dll", StringComparison.Ordinal))
        {
            command.Add("dotnet");
        }

        command.Add(_statehouse);
        command.AddRange([
            "serve", "--node-id", Id(i), "--data", data,
            "--http", $"{Address(i)}:{HttpPort(i)}", "--grpc", $"{Address(i)}:{GrpcPort(i)}", "--raft", $"{Address(i)}:{RaftPort(i)}", "--peer", $"{Address(i)}:{PeerPort(i)}",
            "--log-level", "Warning",
        ]);
        // A joining node asks every other node (the one it was sent to first): the first may be down by the next restart.
        command.AddRange(joinVia is { } via
            ? ["--join", string.Join(",", Enumerable.Range(0, Count).Where(n => n != i).OrderBy(n => n == via ? 0 : 1).Select(n => $"http://{Address(n)}:{HttpPort(n)}"))]
            : ["--initial-cluster", initial]);
        command.AddRange(_extraArguments);
        var exe = command[0];
        var args = command.Skip(1).ToList();
        var info = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        var home = Path.Combine(_root, "home");
        Directory.CreateDirectory(home);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(home, (UnixFileMode)0x1FF);
        }

        info.Environment["HOME"] = home;
        info.Environment["DOTNET_CLI_HOME"] = home;
        var log = new StreamWriter(Path.Combine(_root, $"{Id(i)}.log"), append: true) { AutoFlush = true };
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start a node.");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes[i] = process;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    public void Kill(int i)
    {
        if (_processes[i] is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit(10_000);
        }
    }

    /// <summary>Stops node <paramref name="i"/> as an operator would (SIGTERM; SIGKILL after 10 s).</summary>
    public void Stop(int i)
    {
        if (_processes[i] is { HasExited: false } p)
        {
            Signal(i, "TERM");
            if (!p.WaitForExit(10_000))
            {
                Kill(i);
            }
        }
    }

    /// <summary>True when node <paramref name="i"/> was started and its process has exited (e.g. it refused to start).</summary>
    public bool HasExited(int i) => _processes[i] is { HasExited: true };

    /// <summary>The last <paramref name="lines"/> lines of node <paramref name="i"/>'s log.</summary>
    public string LogTail(int i, int lines)
    {
        var path = Path.Combine(_root, $"{Id(i)}.log");
        if (!File.Exists(path))
        {
            return "";
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join("\n", all.TakeLast(lines));
    }

    /// <summary>Node <paramref name="i"/>'s data folder.</summary>
    public string DataFolderOf(int i) => DataFolder(i);

    public void Signal(int i, string name)
    {
        if (_processes[i] is { HasExited: false } p)
        {
            Process.Start("kill", ["-" + name, p.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit(5_000);
        }
    }

    /// <summary>The node that says it leads, or -1.</summary>
    public async Task<int> LeaderAsync()
    {
        for (var i = 0; i < Count; i++)
        {
            try
            {
                var status = await Http.GetFromJsonAsync<JsonElement>(Url(i, "/v1/status")).ConfigureAwait(false);
                if (status.GetProperty("isLeader").GetBoolean())
                {
                    return i;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
            }
        }

        return -1;
    }

    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (await LeaderAsync().ConfigureAwait(false) >= 0)
            {
                return;
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        throw new TimeoutException($"No leader within {timeout.TotalSeconds:F0} s (logs in {_root}).");
    }

    /// <summary>
    /// Waits until every node answers with the same applied index and state hash; returns the hashes last seen and
    /// whether they agreed.
    /// </summary>
    public async Task<(bool Converged, string Hashes)> WaitConvergedAsync(TimeSpan timeout, IReadOnlyCollection<int>? among = null)
    {
        var deadline = Stopwatch.StartNew();
        var last = string.Empty;
        var nodes = among ?? Enumerable.Range(0, Count).ToList();
        while (deadline.Elapsed < timeout)
        {
            var hashes = new List<string>();
            foreach (var i in nodes)
            {
                try
                {
                    var status = await Http.GetFromJsonAsync<JsonElement>(Url(i, "/v1/status?hash=true")).ConfigureAwait(false);
                    hashes.Add(status.GetProperty("stateHash").GetString()!);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
                {
                    hashes.Add("unreachable");
                }
            }

            last = string.Join(" ", hashes.Zip(nodes, (h, i) => $"{Id(i)}={h}"));
            if (hashes.Distinct().Count() == 1 && hashes[0] != "unreachable")
            {
                return (true, last);
            }

            await Task.Delay(500).ConfigureAwait(false);
        }

        return (false, last);
    }

    /// <summary>
    /// Waits until the leader lists every node as an available member (a replaced node may still be catching up to
    /// join) and returns the members it lists then (by index), or after <paramref name="timeout"/> whatever it lists.
    /// </summary>
    public async Task<List<int>> WaitWholeAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var members = Enumerable.Range(0, Count).ToList();
        do
        {
            var leader = await LeaderAsync().ConfigureAwait(false);
            if (leader >= 0)
            {
                try
                {
                    var cluster = await Http.GetFromJsonAsync<JsonElement>(Url(leader, "/v1/cluster")).ConfigureAwait(false);
                    var listed = cluster.GetProperty("members").EnumerateArray().ToList();
                    members = Enumerable.Range(0, Count).Where(i => listed.Any(m => m.GetProperty("id").GetString() == Id(i))).ToList();
                    if (listed.Count == Count && listed.All(m => m.GetProperty("available").GetBoolean()))
                    {
                        return members;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
                {
                }
            }

            await Task.Delay(1000).ConfigureAwait(false);
        }
        while (deadline.Elapsed < timeout);
        return members;
    }

    /// <summary>Cuts all traffic between the two sides, both ways (needs separate users, root and iptables).</summary>
    public void Partition(IReadOnlyList<int> side, IReadOnlyList<int> other)
    {
        foreach (var a in side)
        {
            foreach (var b in other)
            {
                Block(a, b);
                Block(b, a);
            }
        }
    }

    private void Block(int from, int to) => _partitions.Block(Uid(from), [RaftPort(to), PeerPort(to), GrpcPort(to), HttpPort(to)], Address(to));

    public void Heal() => _partitions.Heal();

    public async ValueTask DisposeAsync()
    {
        Heal();
        for (var i = 0; i < Count; i++)
        {
            Signal(i, "CONT");
            Kill(i);
            _processes[i]?.Dispose();
        }

        Http.Dispose();
        await Task.CompletedTask.ConfigureAwait(false);
    }
}
