using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Statehouse.Chaos.Runner;

/// <summary>One injected fault: what, on whom, when it began and ended (ms since the run started).</summary>
internal sealed record FaultRecord(string Kind, string Target, long StartMs, long EndMs, string? Note);

/// <summary>
/// The seeded fault schedule. Every interval it picks a fault kind and a target (the leader half the time) from the
/// seed alone, so the same seed replays the same schedule (the cluster's reactions, e.g. who leads, still vary):
/// <list type="bullet">
/// <item><c>kill</c>: kill -9, restart after 1–3 s;</item>
/// <item><c>pause</c>: SIGSTOP, SIGCONT after 1–3 s;</item>
/// <item><c>partition</c>: one node (the leader half the time) cut off from all others;</item>
/// <item><c>split</c>: a random minority cut off from the majority (with 3 nodes, like partition but never biased to the leader);</item>
/// <item><c>bridge</c>: two halves that cannot reach each other, and one node that reaches both;</item>
/// <item><c>membership</c>: a follower removed from the cluster, its data wiped, and a fresh node with its id joining back;</item>
/// <item><c>disk</c>: a node stopped, one case of the WAL/snapshot damage matrix (<see cref="DiskDamage"/>) applied to its
/// data folder, and restarted: it must start whole or refuse to start; a node that refuses is re-seeded (removed, wiped,
/// joined back) as an operator would.</item>
/// </list>
/// </summary>
internal sealed class Nemesis(NodeProcesses nodes, RunSettings settings, Func<long> nowMs)
{
    public static readonly string[] Kinds = ["kill", "pause", "partition", "split", "bridge", "membership", "disk"];

    private readonly Random _random = new(settings.Seed);
    private readonly List<FaultRecord> _faults = [];
    private readonly Lock _gate = new();

    /// <summary>The fault in force now, for the progress line.</summary>
    public string Current { get; private set; } = "none";

    public IReadOnlyList<FaultRecord> Faults
    {
        get
        {
            lock (_gate)
            {
                return [.. _faults];
            }
        }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(settings.FaultInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            // Draw everything from the seed first, so a replay asks the same questions in the same order.
            var kind = settings.Faults[_random.Next(settings.Faults.Count)];
            var pickLeader = _random.Next(2) == 0;
            var pick = _random.Next(nodes.Count);
            var hold = TimeSpan.FromMilliseconds(_random.Next(1000, 3000));
            var shuffle = Enumerable.Range(0, nodes.Count).OrderBy(_ => _random.Next()).ToList();
            var damage = DiskDamage.Cases[_random.Next(DiskDamage.Cases.Length)];
            var damageSeed = _random.Next();
            var leader = await nodes.LeaderAsync().ConfigureAwait(false);
            var target = pickLeader && leader >= 0 ? leader : pick;
            var start = nowMs();
            string described;
            string? note = null;
            switch (kind)
            {
                case "kill":
                    described = Name(target);
                    Current = $"kill {described}";
                    nodes.Kill(target);
                    await Task.Delay(hold, CancellationToken.None).ConfigureAwait(false);
                    nodes.Start(target);
                    break;
                case "pause":
                    described = Name(target);
                    Current = $"pause {described}";
                    nodes.Signal(target, "STOP");
                    await Task.Delay(hold, CancellationToken.None).ConfigureAwait(false);
                    nodes.Signal(target, "CONT");
                    break;
                case "partition":
                    described = $"{Name(target)} | rest";
                    Current = $"partition {described}";
                    nodes.Partition([target], Others([target]));
                    await Task.Delay(hold, CancellationToken.None).ConfigureAwait(false);
                    nodes.Heal();
                    break;
                case "split":
                {
                    var minority = shuffle.Take((nodes.Count - 1) / 2).ToList();
                    described = $"{Names(minority)} | {Names(Others(minority))}";
                    Current = $"split {described}";
                    nodes.Partition(minority, Others(minority));
                    await Task.Delay(hold, CancellationToken.None).ConfigureAwait(false);
                    nodes.Heal();
                    break;
                }

                case "bridge":
                {
                    // shuffle[0] bridges; the rest split in two halves that only reach each other through it.
                    var half = (nodes.Count - 1) / 2;
                    var left = shuffle.Skip(1).Take(half).ToList();
                    var right = shuffle.Skip(1 + half).ToList();
                    described = $"{Names(left)} | {Names(right)} via {Name(shuffle[0])}";
                    Current = $"bridge {described}";
                    nodes.Partition(left, right);
                    await Task.Delay(hold, CancellationToken.None).ConfigureAwait(false);
                    nodes.Heal();
                    break;
                }

                case "membership":
                {
                    var victim = leader >= 0 ? shuffle.First(n => n != leader) : pick;
                    described = Name(victim);
                    if (leader < 0 || !await WholeAsync(leader).ConfigureAwait(false))
                    {
                        // Replacing a second member while the first is still joining walks the configuration down
                        // to one member (legal Raft, and the lab once did it: a lone leader committing by itself
                        // while the others kept stale configurations). An operator replaces one member at a time.
                        note = "skipped: the cluster is not whole (a member is missing or unavailable)";
                        kind = "membership-skipped";
                        break;
                    }

                    Current = $"membership: replace {described}";
                    note = await ReplaceAsync(victim, leader).ConfigureAwait(false);
                    break;
                }

                case "disk":
                {
                    described = $"{Name(target)} {damage}";
                    if (leader < 0 || !await WholeAsync(leader).ConfigureAwait(false))
                    {
                        // A refused start is followed by a re-seed (a membership change): one member at a time.
                        note = "skipped: the cluster is not whole (a member is missing or unavailable)";
                        kind = "disk-skipped";
                        break;
                    }

                    Current = $"disk {described}";
                    note = await DamageAsync(target, damage, damageSeed).ConfigureAwait(false);
                    break;
                }

                default:
                    throw new ArgumentException($"Unknown fault '{kind}'.");
            }

            Current = "none";
            lock (_gate)
            {
                _faults.Add(new FaultRecord(kind, described, start, nowMs(), note));
            }
        }
    }

    /// <summary>
    /// Removes <paramref name="victim"/> through <paramref name="via"/>, stops it, wipes its data, and starts a fresh
    /// node with the same id and addresses that joins through a member. Returns a note when a step was refused.
    /// </summary>
    private async Task<string?> ReplaceAsync(int victim, int via)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var removed = await http.DeleteAsync(nodes.Url(via, $"/v1/cluster/members/{NodeProcesses.Id(victim)}")).ConfigureAwait(false);
                if (removed.IsSuccessStatusCode || removed.StatusCode == System.Net.HttpStatusCode.NotFound)
                {
                    break;
                }

                // Another change in progress, or the leader moved: a few tries, as an operator would.
                if (attempt >= 5)
                {
                    return $"removal refused: {(int)removed.StatusCode}";
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Outcome unknown: go on as if removed; the join below is refused if it was not, and the node restarts as it was.
                _ = ex;
                break;
            }

            await Task.Delay(1000).ConfigureAwait(false);
        }

        nodes.Kill(victim);
        nodes.Wipe(victim);
        nodes.Start(victim, joinVia: via);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(500).ConfigureAwait(false);
            try
            {
                var cluster = await nodes.Http.GetFromJsonAsync<JsonElement>(nodes.Url(via, "/v1/cluster")).ConfigureAwait(false);
                var members = cluster.GetProperty("members").EnumerateArray().ToList();
                if (members.Count == nodes.Count && members.All(m => m.GetProperty("available").GetBoolean()))
                {
                    return null;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
            }
        }

        return "rejoin not complete after 60 s";
    }

    /// <summary>
    /// Stops <paramref name="victim"/>, applies one damage case, restarts it, and waits up to 30 s: it either serves
    /// again (healthy) or has exited (refused to start), in which case it is re-seeded through the leader.
    /// </summary>
    private async Task<string> DamageAsync(int victim, string damage, int seed)
    {
        nodes.Stop(victim);
        var done = DiskDamage.Apply(nodes.DataFolderOf(victim), damage, new Random(seed));
        nodes.Start(victim);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(250).ConfigureAwait(false);
            if (nodes.HasExited(victim))
            {
                var why = nodes.LogTail(victim, 20).Split('\n').LastOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal)) ?? "(no error line)";

                // The victim may have been the leader: wait for the others to elect one (bounded), then re-seed through it.
                var leader = -1;
                for (var attempt = 0; attempt < 60 && (leader < 0 || leader == victim); attempt++)
                {
                    await Task.Delay(500).ConfigureAwait(false);
                    leader = await nodes.LeaderAsync().ConfigureAwait(false);
                }

                var reseed = leader >= 0 && leader != victim ? await ReplaceAsync(victim, leader).ConfigureAwait(false) : "no leader to re-seed through within 30 s";
                return $"{done ?? "not applicable"}; refused to start: {(why.Length > 300 ? why[..300] : why)}; re-seeded{(reseed is null ? "" : ": " + reseed)}";
            }

            try
            {
                using var health = await nodes.Http.GetAsync(nodes.Url(victim, "/healthz")).ConfigureAwait(false);
                if (health.IsSuccessStatusCode)
                {
                    return $"{done ?? "not applicable"}; started";
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
        }

        return $"{done ?? "not applicable"}; neither healthy nor exited after 30 s";
    }

    /// <summary>True when the leader lists every node as an available member.</summary>
    private async Task<bool> WholeAsync(int leader)
    {
        try
        {
            var cluster = await nodes.Http.GetFromJsonAsync<JsonElement>(nodes.Url(leader, "/v1/cluster")).ConfigureAwait(false);
            var members = cluster.GetProperty("members").EnumerateArray().ToList();
            return members.Count == nodes.Count && members.All(m => m.GetProperty("available").GetBoolean());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    private List<int> Others(IReadOnlyCollection<int> side) => Enumerable.Range(0, nodes.Count).Where(n => !side.Contains(n)).ToList();

    private static string Name(int node) => NodeProcesses.Id(node);

    private static string Names(IEnumerable<int> side) => string.Join(",", side.Select(Name));

    /// <summary>Faults by kind, in schedule order of first appearance.</summary>
    public static string Summarize(IEnumerable<FaultRecord> faults) =>
        string.Join(", ", faults.GroupBy(f => f.Kind).Select(g => $"{g.Key} {g.Count().ToString(CultureInfo.InvariantCulture)}"));
}
