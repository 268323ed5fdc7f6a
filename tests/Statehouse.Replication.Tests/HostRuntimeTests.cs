using System.Text;
using Statehouse.Raft;
using Statehouse.Tests.Shared;

namespace Statehouse.Replication.Tests;

/// <summary>The production runtime: real threads, real files (a temporary folder), an in-process transport.</summary>
public sealed class HostRuntimeTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "statehouse-runtime-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private sealed class Wire
    {
        private readonly Dictionary<NodeId, HostRuntime> _runtimes = [];

        public void Set(NodeId node, HostRuntime? runtime)
        {
            lock (_runtimes)
            {
                if (runtime is null)
                {
                    _runtimes.Remove(node);
                }
                else
                {
                    _runtimes[node] = runtime;
                }
            }
        }

        public IPeerTransport From() => new Transport(this);

        private sealed class Transport(Wire wire) : IPeerTransport
        {
            public void Send(IReadOnlyList<Message> messages)
            {
                foreach (var perNode in messages.GroupBy(m => m.To))
                {
                    HostRuntime? target;
                    lock (wire._runtimes)
                    {
                        wire._runtimes.TryGetValue(perNode.Key, out target);
                    }

                    target?.Deliver(perNode.ToArray());
                }
            }
        }
    }

    private sealed class Node(string directory, NodeId id, Wire wire) : IAsyncDisposable
    {
        public NodeId Id { get; } = id;

        public Dictionary<GroupId, ListMachine> Machines { get; } = [];

        public HostRuntime Runtime { get; private set; } = null!;

        public bool Up { get; private set; }

        private FileReplicaStore? _store;

        public void Start()
        {
            Machines.Clear();
            _store = FileReplicaStore.Open(new FileReplicaStoreOptions { Directory = directory, SegmentSizeBytes = 1 << 20, PreallocateSegments = false });
            Runtime = new HostRuntime(
                new HostRuntimeOptions { TickInterval = TimeSpan.FromMilliseconds(10), Host = new HostOptions { SnapshotEveryEntries = 50 } },
                _store, wire.From(), d => Machines[d.Group] = new ListMachine());
            wire.Set(Id, Runtime);
            Runtime.Start();
            Up = true;
        }

        public async ValueTask DisposeAsync()
        {
            Up = false;
            wire.Set(Id, null);
            await Runtime.DisposeAsync();
            _store?.Dispose();
            _store = null;
        }

        public Task<int> AppliedCount(GroupId group) => Runtime.InvokeAsync(_ => Machines.TryGetValue(group, out var m) ? m.Commands.Count : -1);

        public Task<RaftRole?> Role(GroupId group) => Runtime.InvokeAsync(host => host.Status(group)?.Role);
    }

    private static Task Until(Func<Task<bool>> condition, string what, int seconds = 20) => Eventually.Until(condition, what, seconds);

    [Fact]
    public async Task ThreeNodes_ElectReplicateSnapshotAndRestart_OnFiles()
    {
        var wire = new Wire();
        var ids = new[] { new NodeId(1), new NodeId(2), new NodeId(3) };
        var groups = new[] { new GroupId(1), new GroupId(2), new GroupId(3) };
        var nodes = ids.Select(id => new Node(Path.Combine(_root, $"n{id.Value}"), id, wire)).ToList();
        try
        {
            foreach (var node in nodes)
            {
                node.Start();
                foreach (var group in groups)
                {
                    await node.Runtime.InvokeAsync(host =>
                    {
                        host.CreateGroup(new GroupDescriptor(group, node.Id, new Configuration(ids)));
                        return true;
                    });
                }
            }

            async Task<Node> LeaderOf(GroupId group)
            {
                Node? leader = null;
                await Until(async () =>
                {
                    foreach (var node in nodes.Where(n => n.Up))
                    {
                        if (await node.Role(group) == RaftRole.Leader)
                        {
                            leader = node;
                            return true;
                        }
                    }

                    return false;
                }, $"{group} has a leader");
                return leader!;
            }

            // 200 proposals per group, all at once: the loop batches them, the writer syncs them together.
            foreach (var group in groups)
            {
                var leader = await LeaderOf(group);
                var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => leader.Runtime.ProposeAsync(group, Encoding.UTF8.GetBytes($"{group}-{i}"))));
                Assert.All(results, r => Assert.True(r.Accepted, r.ToString()));
            }

            foreach (var group in groups)
            {
                foreach (var node in nodes)
                {
                    await Until(async () => await node.AppliedCount(group) == 200, $"{node.Id} applied {group}");
                }
            }

            // Each group snapshots once it applied 50 entries beyond its compaction point (written on the snapshot thread).
            await Until(async () => await nodes[0].Runtime.InvokeAsync(host => host.Statistics.SnapshotsSaved) >= 3, "every group snapshotted");

            // A node restarts from its files and catches up with what it missed.
            await nodes[2].DisposeAsync();
            foreach (var group in groups)
            {
                var leader = await LeaderOf(group);
                var result = await leader.Runtime.ProposeAsync(group, Encoding.UTF8.GetBytes($"{group}-after"));
                Assert.True(result.Accepted);
            }

            nodes[2].Start();
            foreach (var group in groups)
            {
                await Until(async () => await nodes[2].AppliedCount(group) == 201, $"the restarted node applied {group}");
                var commands = await nodes[2].Runtime.InvokeAsync(_ => nodes[2].Machines[group].Commands.ToList());
                Assert.Equal([.. Enumerable.Range(0, 200).Select(i => $"{group}-{i}"), $"{group}-after"], commands);
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AProposalForAGroupNotHosted_FailsClearly_AndBadOptionsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new HostRuntimeOptions { TickInterval = TimeSpan.Zero }.Validate());
        Assert.Throws<ArgumentException>(() => new HostRuntimeOptions { MaxQueuedInputs = 0 }.Validate());
        var wire = new Wire();
        var node = new Node(Path.Combine(_root, "solo"), new NodeId(1), wire);
        node.Start();
        try
        {
            await Assert.ThrowsAsync<ArgumentException>(() => node.Runtime.ProposeAsync(new GroupId(9), "x"u8.ToArray()));
        }
        finally
        {
            await node.DisposeAsync();
        }
    }
}
