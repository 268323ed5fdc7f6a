using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Statehouse.Chaos.Runner;

namespace Statehouse.IntegrationTests.Cluster;

/// <summary>
/// A cluster of real <c>statehouse serve</c> processes on loopback. With <c>partitionable</c>, each node runs under its own
/// uid so that <see cref="Partition"/> can cut traffic between groups with iptables owner rules (needs root + iptables).
/// </summary>
internal sealed class ClusterProcesses : IAsyncDisposable
{
    private static int s_nextUid = 61000 + (Environment.ProcessId % 100) * 10;
    private readonly OwnerPartitions _partitions = new();

    public ClusterProcesses(int size, bool partitionable = false, params string[] extraArgs)
    {
        var raftPorts = Enumerable.Range(0, size).Select(_ => ServerProcess.FreePort()).ToArray();
        var peerPorts = Enumerable.Range(0, size).Select(_ => ServerProcess.FreePort()).ToArray();
        var initial = string.Join(",", raftPorts.Select((p, i) => $"n{i + 1}=127.0.0.1:{p}"));
        var firstUid = Interlocked.Add(ref s_nextUid, size) - size;
        for (var i = 0; i < size; i++)
        {
            var args = new[]
            {
                "--node-id", $"n{i + 1}", "--raft", $"127.0.0.1:{raftPorts[i]}", "--peer", $"127.0.0.1:{peerPorts[i]}", "--initial-cluster", initial,
                "--election-timeout-min-ms", "500", "--election-timeout-max-ms", "1000", "--log-level", "Warning",
            }.Concat(extraArgs).ToArray();
            Nodes.Add(new ServerProcess(null, args) { RunAsUid = partitionable ? firstUid + i : null });
            RaftPorts.Add(raftPorts[i]);
            PeerPorts.Add(peerPorts[i]);
            Uids.Add(firstUid + i);
        }
    }

    /// <summary>Starts one more node that joins the running cluster through node <paramref name="via"/>'s HTTP address.</summary>
    public async Task<int> JoinAsync(int via)
    {
        var raft = ServerProcess.FreePort();
        var peer = ServerProcess.FreePort();
        var id = $"n{Nodes.Count + 1}";
        var node = new ServerProcess(null,
            "--node-id", id, "--raft", $"127.0.0.1:{raft}", "--peer", $"127.0.0.1:{peer}", "--join", Nodes[via].HttpUri.ToString().TrimEnd('/'),
            "--election-timeout-min-ms", "500", "--election-timeout-max-ms", "1000", "--log-level", "Warning");
        Nodes.Add(node);
        RaftPorts.Add(raft);
        PeerPorts.Add(peer);
        Uids.Add(0);
        await node.StartAsync();
        return Nodes.Count - 1;
    }

    /// <summary>The member ids as <c>GET /v1/cluster</c> on node <paramref name="node"/> lists them.</summary>
    public async Task<List<(string Id, bool Available)>> MembersAsync(int node)
    {
        var json = await Http.GetFromJsonAsync<JsonElement>(Url(node, "/v1/cluster"));
        return json.GetProperty("members").EnumerateArray().Select(m => (m.GetProperty("id").GetString()!, m.GetProperty("available").GetBoolean())).ToList();
    }

    public List<ServerProcess> Nodes { get; } = [];

    public List<int> RaftPorts { get; } = [];

    public List<int> PeerPorts { get; } = [];

    public List<int> Uids { get; } = [];

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>True when this machine can run partition tests (root, iptables, setpriv).</summary>
    public static bool CanPartition => OwnerPartitions.Available;

    public Task StartAllAsync() => Task.WhenAll(Nodes.Select(n => n.StartAsync()));

    public Uri Url(int node, string path) => new(Nodes[node].HttpUri, path);

    public async Task<JsonElement> StatusAsync(int node, bool hash = false)
    {
        return await Http.GetFromJsonAsync<JsonElement>(Url(node, hash ? "/v1/status?hash=true" : "/v1/status"));
    }

    /// <summary>Index of the node that says it leads and that the others agree on.</summary>
    public async Task<int> WaitForLeaderAsync(IEnumerable<int>? among = null, TimeSpan? timeout = null)
    {
        var candidates = (among ?? Enumerable.Range(0, Nodes.Count)).ToList();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < (timeout ?? TimeSpan.FromSeconds(30)))
        {
            foreach (var i in candidates)
            {
                try
                {
                    var status = await StatusAsync(i);
                    if (status.GetProperty("isLeader").GetBoolean())
                    {
                        return i;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("No leader among " + string.Join(",", candidates));
    }

    /// <summary>Waits until the given nodes have applied the same index and hold the same state hash.</summary>
    public async Task WaitConvergedAsync(IEnumerable<int>? among = null, TimeSpan? timeout = null)
    {
        var nodes = (among ?? Enumerable.Range(0, Nodes.Count)).ToList();
        var deadline = Stopwatch.StartNew();
        var last = "";
        while (deadline.Elapsed < (timeout ?? TimeSpan.FromSeconds(60)))
        {
            try
            {
                var hashes = new List<string>();
                foreach (var i in nodes)
                {
                    hashes.Add((await StatusAsync(i, hash: true)).GetProperty("stateHash").GetString()!);
                }

                last = string.Join(" ", hashes);
                if (hashes.Distinct().Count() == 1)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("Replicas did not converge: " + last);
    }

    /// <summary>Cuts every connection between the two groups (Raft, gRPC and HTTP ports), both ways.</summary>
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

    private void Block(int from, int to) =>
        _partitions.Block(Uids[from], [RaftPorts[to], PeerPorts[to], Nodes[to].GrpcPort, Nodes[to].HttpPort]);

    /// <summary>Removes every rule this cluster added.</summary>
    public void Heal() => _partitions.Heal();

    public async ValueTask DisposeAsync()
    {
        Heal();
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        Http.Dispose();
    }
}
