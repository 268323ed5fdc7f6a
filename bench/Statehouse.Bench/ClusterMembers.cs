using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Text.Json.Nodes;
using Grpc.Core;
using V1 = Statehouse.V1;

namespace Statehouse.Bench;

/// <summary>
/// One member of a 3-member cluster as bench/cluster.sh started it: its name, client endpoints, the file holding its
/// current PID, its log and the shell command that starts it (the same command restarts it on the same data folder).
/// </summary>
internal sealed record MemberSpec(string Name, string Grpc, string? Http, string PidFile, string LogFile, string Command)
{
    /// <summary>Reads the members file: one member per line, tab-separated: name, gRPC URL, HTTP URL or "-", pidfile, log, command.</summary>
    public static MemberSpec[] Load(string path)
    {
        var members = File.ReadAllLines(path)
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .Select(f => f.Length == 6
                ? new MemberSpec(f[0], f[1], f[2] == "-" ? null : f[2], f[3], f[4], f[5])
                : throw new ArgumentException($"{path}: expected 6 tab-separated fields, got {f.Length}: {string.Join(" | ", f)}"))
            .ToArray();
        if (members.Length == 0)
        {
            throw new ArgumentException($"{path}: no members.");
        }

        return members;
    }

    public int? Pid => File.Exists(PidFile) && int.TryParse(File.ReadAllText(PidFile).Trim(), CultureInfo.InvariantCulture, out var pid) ? pid : null;

    public bool IsAlive => Pid is { } pid && ProcCpu.IsAlive(pid);

    /// <summary>Starts the member again with its own command (same data folder), appending to its log; records the new PID.</summary>
    public int Start()
    {
        var process = Process.Start(new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", $"exec {Command} < /dev/null >> '{LogFile}' 2>&1" },
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"Could not start {Name}.");
        File.WriteAllText(PidFile, process.Id.ToString(CultureInfo.InvariantCulture) + "\n");
        return process.Id;
    }
}

/// <summary>What one member says about itself and its cluster.</summary>
internal sealed record MemberStatus(string Self, string Leader, ulong Term, ulong Applied, ulong Commit);

/// <summary>Asks a member for its status: etcd through Maintenance.Status (as `etcdctl endpoint status`), Statehouse
/// through <c>GET /v1/cluster</c> (falling back to gRPC Maintenance.Status when that does not answer).</summary>
internal sealed class ClusterProbe : IDisposable
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);
    private readonly string _target;
    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = ProbeTimeout, PooledConnectionLifetime = TimeSpan.FromSeconds(5) }) { Timeout = TimeSpan.FromSeconds(2) };

    public ClusterProbe(string target)
    {
        if (target is not ("etcd" or "statehouse"))
        {
            throw new ArgumentException($"--target must be statehouse or etcd, got '{target}'.");
        }

        _target = target;
    }

    /// <summary>The member's status, or null when it does not answer in time.</summary>
    public async Task<MemberStatus?> StatusAsync(MemberSpec member, CancellationToken cancellationToken)
    {
        try
        {
            if (_target == "etcd")
            {
                return await EtcdStatusAsync(member, cancellationToken).ConfigureAwait(false);
            }

            return await StatehouseHttpStatusAsync(member, cancellationToken).ConfigureAwait(false)
                ?? await StatehouseGrpcStatusAsync(member, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            return null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null; // the probe's own timeout
        }
    }

    /// <summary>
    /// Polls every member until one is named leader by a majority of the members that answer, and says so itself.
    /// Returns its index in <paramref name="members"/>, or -1 after <paramref name="timeout"/>.
    /// </summary>
    public async Task<int> FindLeaderAsync(MemberSpec[] members, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!cancellationToken.IsCancellationRequested)
        {
            var statuses = await Task.WhenAll(members.Select(m => StatusAsync(m, cancellationToken))).ConfigureAwait(false);
            var majority = (members.Length / 2) + 1;
            for (var i = 0; i < members.Length; i++)
            {
                var s = statuses[i];
                if (s is null || s.Leader.Length == 0 || s.Leader != s.Self)
                {
                    continue;
                }

                if (statuses.Count(o => o is not null && o.Leader == s.Self) >= majority)
                {
                    return i;
                }
            }

            if (Stopwatch.GetTimestamp() >= deadline)
            {
                return -1;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        return -1;
    }

    /// <summary>
    /// Waits until <paramref name="member"/> answers, follows the leader and has applied everything the leader had
    /// committed when the member first answered. Returns false after <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> WaitCaughtUpAsync(MemberSpec[] members, int member, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        TimeSpan Left() => TimeSpan.FromSeconds(Math.Max(0, (deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency));
        ulong? goal = null;
        while (!cancellationToken.IsCancellationRequested && Stopwatch.GetTimestamp() < deadline)
        {
            var self = await StatusAsync(members[member], cancellationToken).ConfigureAwait(false);
            if (self is not null && goal is null)
            {
                var leader = await FindLeaderAsync(members, Left(), cancellationToken).ConfigureAwait(false);
                if (leader < 0)
                {
                    return false;
                }

                var leaderStatus = await StatusAsync(members[leader], cancellationToken).ConfigureAwait(false);
                goal = leaderStatus?.Commit;
            }

            if (self is not null && goal is { } g && self.Leader.Length > 0 && self.Leader != self.Self && self.Applied >= g)
            {
                return true;
            }

            if (self is not null && goal is not null && self.Leader == self.Self)
            {
                return true; // it became the leader again: it has everything committed
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    private async Task<MemberStatus> EtcdStatusAsync(MemberSpec member, CancellationToken cancellationToken)
    {
        using var channel = KvTargets.Channel(member.Grpc); // fresh: a channel that saw a refused connection backs off
        var response = await new Etcd.Maintenance.MaintenanceClient(channel)
            .StatusAsync(new Etcd.StatusRequest(), deadline: DateTime.UtcNow.Add(ProbeTimeout), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        var self = response.Header.MemberId.ToString("x", CultureInfo.InvariantCulture);
        var leader = response.Leader == 0 ? string.Empty : response.Leader.ToString("x", CultureInfo.InvariantCulture);
        var applied = response.RaftAppliedIndex > 0 ? response.RaftAppliedIndex : response.RaftIndex;
        return new MemberStatus(self, leader, response.RaftTerm, applied, response.RaftIndex);
    }

    private async Task<MemberStatus?> StatehouseHttpStatusAsync(MemberSpec member, CancellationToken cancellationToken)
    {
        if (member.Http is null)
        {
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        string body;
        try
        {
            using var response = await _http.GetAsync(new Uri(member.Http.TrimEnd('/') + "/v1/cluster"), timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        JsonObject? o;
        try
        {
            o = JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }

        var self = o?["self"]?.ToString();
        if (o is null || string.IsNullOrEmpty(self))
        {
            return null;
        }

        var leader = o["leader"]?.ToString() ?? string.Empty;
        var mine = (o["members"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(m => m["id"]?.ToString() == self);
        if (mine is null)
        {
            return null; // no indices in the JSON: ask the member itself over gRPC
        }

        return new MemberStatus(self, leader, U(o["term"]), U(mine["appliedIndex"]), U(mine["commitIndex"]));
    }

    private static async Task<MemberStatus> StatehouseGrpcStatusAsync(MemberSpec member, CancellationToken cancellationToken)
    {
        using var channel = KvTargets.Channel(member.Grpc);
        var s = await new V1.Maintenance.MaintenanceClient(channel)
            .StatusAsync(new V1.StatusRequest(), deadline: DateTime.UtcNow.Add(ProbeTimeout), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        return new MemberStatus(s.Header?.NodeId ?? string.Empty, s.Leader, (ulong)Math.Max(0, s.Term), s.AppliedIndex, s.CommitIndex);
    }

    private static ulong U(JsonNode? n) => n is JsonValue v && v.TryGetValue<double>(out var d) && d > 0 ? (ulong)d : 0;

    public void Dispose() => _http.Dispose();
}

/// <summary><c>cluster-leader --target T --members FILE</c>: prints the leader's member name (waits for one, bounded).</summary>
internal static class ClusterLeaderCommand
{
    public static async Task<int> RunAsync(Args a)
    {
        var target = a.RequiredStr("target");
        var members = MemberSpec.Load(a.RequiredStr("members"));
        var timeout = TimeSpan.FromSeconds(a.Double("timeout-seconds", 30));
        var waitCaughtUp = a.Flag("wait-caught-up");
        a.RejectUnknown();
        using var probe = new ClusterProbe(target);
        var leader = await probe.FindLeaderAsync(members, timeout, CancellationToken.None).ConfigureAwait(false);
        if (leader < 0)
        {
            Console.Error.WriteLine($"{target}: no leader within {timeout.TotalSeconds:F0} s");
            return 1;
        }

        if (waitCaughtUp)
        {
            for (var i = 0; i < members.Length; i++)
            {
                if (i != leader && !await probe.WaitCaughtUpAsync(members, i, timeout, CancellationToken.None).ConfigureAwait(false))
                {
                    Console.Error.WriteLine($"{target}: {members[i].Name} did not catch up within {timeout.TotalSeconds:F0} s");
                    return 1;
                }
            }

            // The leader may have changed while we waited.
            leader = await probe.FindLeaderAsync(members, timeout, CancellationToken.None).ConfigureAwait(false);
            if (leader < 0)
            {
                return 1;
            }
        }

        Console.WriteLine(members[leader].Name);
        return 0;
    }
}
