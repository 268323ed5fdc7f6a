using System.Net;
using Statehouse.Core.Store;

namespace Statehouse.Cluster.Tests.Raft;

/// <summary>Three (or more) clustered nodes in this process on 127.0.0.1, each with its own data folder.</summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    private static int s_nextPort = 24000 + (Environment.ProcessId % 500) * 10;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "statehouse-raft-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly Dictionary<string, IPEndPoint> _members = [];
    private readonly Func<NodeOptions, NodeOptions>? _configure;

    public InProcessCluster(int size, Func<NodeOptions, NodeOptions>? configure = null)
    {
        _configure = configure;
        var basePort = Interlocked.Add(ref s_nextPort, size + 1) - size;
        for (var i = 1; i <= size; i++)
        {
            _members[$"n{i}"] = new IPEndPoint(IPAddress.Loopback, basePort + i);
        }

        Nodes = new StatehouseNode?[size];
    }

    public StatehouseNode?[] Nodes { get; }

    public IEnumerable<StatehouseNode> Running => Nodes.Where(n => n is not null)!;

    public NodeOptions OptionsFor(int i)
    {
        var id = $"n{i + 1}";
        var options = new NodeOptions
        {
            DataDirectory = Path.Combine(_root, id),
            NodeId = id,
            MaintenanceIntervalMs = 50,
            Raft = new RaftOptions
            {
                Endpoint = _members[id],
                InitialMembers = _members,
                ElectionTimeoutMinMs = 300,
                ElectionTimeoutMaxMs = 600,
                Metadata = new Dictionary<string, string> { [RaftOptions.MetadataKeys.NodeId] = id },
            },
        };
        return _configure?.Invoke(options) ?? options;
    }

    public async Task StartAllAsync()
    {
        await Task.WhenAll(Enumerable.Range(0, Nodes.Length).Select(StartAsync));
    }

    public async Task StartAsync(int i) => Nodes[i] = await StatehouseNode.StartAsync(OptionsFor(i));

    public async Task StopAsync(int i)
    {
        if (Nodes[i] is { } node)
        {
            Nodes[i] = null;
            await node.DisposeAsync();
        }
    }

    public async Task<StatehouseNode> WaitForLeaderAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < deadline)
        {
            var leaders = Running.Where(n => n.IsLeader).ToList();
            if (leaders.Count == 1)
            {
                return leaders[0];
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("No single leader was elected in time.");
    }

    /// <summary>Waits until every running node has applied the same index and holds the same state hash.</summary>
    public async Task WaitConvergedAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            var views = Running.Select(n => n.View).ToList();
            last = string.Join(", ", Running.Select(n => $"{n.NodeId}: applied {n.View.AppliedIndex} commit {n.CommitIndex} rev {n.View.Revision}"));
            if (views.Select(v => v.AppliedIndex).Distinct().Count() == 1 && views.Select(StateMachine.StateHash).Distinct().Count() == 1)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("Replicas did not converge: " + last);
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < Nodes.Length; i++)
        {
            await StopAsync(i);
        }

        try
        {
            Directory.Delete(_root, true);
        }
        catch (IOException)
        {
        }
    }
}
