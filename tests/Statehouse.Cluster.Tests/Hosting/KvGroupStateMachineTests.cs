using System.Text;
using Statehouse.Cluster.Hosting;
using Statehouse.Core.Codecs;
using Statehouse.Core.Model;
using Statehouse.Core.Store;
using Statehouse.Raft;
using Statehouse.Replication;
using Statehouse.Tests.Shared;

namespace Statehouse.Cluster.Tests.Hosting;

/// <summary>Today's KV state machine replicated by the new host: three nodes on files, an in-process transport.</summary>
public sealed class KvGroupStateMachineTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "statehouse-kvhost-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private sealed class Wire : IPeerTransport
    {
        public Dictionary<NodeId, HostRuntime> Runtimes { get; } = [];

        public void Send(IReadOnlyList<Message> messages)
        {
            foreach (var perNode in messages.GroupBy(m => m.To))
            {
                HostRuntime? target;
                lock (Runtimes)
                {
                    Runtimes.TryGetValue(perNode.Key, out target);
                }

                target?.Deliver(perNode.ToArray());
            }
        }
    }

    private sealed class KvNode(NodeId id, string directory, Wire wire) : IAsyncDisposable
    {
        private FileReplicaStore? _store;

        public NodeId Id { get; } = id;

        public Dictionary<GroupId, KvGroupStateMachine> Machines { get; } = [];

        public HostRuntime Runtime { get; private set; } = null!;

        public bool Up { get; private set; }

        public void Start()
        {
            _store = FileReplicaStore.Open(new FileReplicaStoreOptions { Directory = directory, SegmentSizeBytes = 1 << 20, PreallocateSegments = false });
            Runtime = new HostRuntime(new HostRuntimeOptions { TickInterval = TimeSpan.FromMilliseconds(10), Host = new HostOptions { SnapshotEveryEntries = 50 } },
                _store, wire, d => Machines[d.Group] = new KvGroupStateMachine(new StateMachine()));
            lock (wire.Runtimes)
            {
                wire.Runtimes[Id] = Runtime;
            }

            Runtime.Start();
            Up = true;
        }

        public Task<(long Applied, ulong Hash)> StateOf(GroupId group) =>
            Runtime.InvokeAsync(_ => Machines.TryGetValue(group, out var m) ? (m.Machine.View.AppliedIndex, StateMachine.StateHash(m.Machine.View)) : (-1L, 0UL));

        public async ValueTask DisposeAsync()
        {
            if (!Up)
            {
                return;
            }

            Up = false;
            lock (wire.Runtimes)
            {
                wire.Runtimes.Remove(Id);
            }

            await Runtime.DisposeAsync();
            _store?.Dispose();
        }
    }

    private static Task Until(Func<Task<bool>> condition, string what, int seconds = 30) => Eventually.Until(condition, what, seconds);

    private static async Task<KvNode> LeaderOf(IEnumerable<KvNode> nodes, GroupId group)
    {
        KvNode? leader = null;
        await Until(async () =>
        {
            foreach (var node in nodes.Where(n => n.Up))
            {
                if (await node.Runtime.InvokeAsync(h => h.Status(group)?.Role) == RaftRole.Leader)
                {
                    leader = node;
                    return true;
                }
            }

            return false;
        }, $"{group} has a leader");
        return leader!;
    }

    private static async Task PutAllAsync(KvNode leader, GroupId group, string prefix, int count)
    {
        var results = await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            leader.Runtime.ProposeAsync(group, CommandCodec.Encode(new CommandBatch(1_000 + i, [new PutCommand("default", Encoding.UTF8.GetBytes($"{prefix}{i % 37}"), Encoding.UTF8.GetBytes($"{prefix}-{i}"))])))));
        Assert.All(results, r => Assert.True(r.Accepted, r.ToString()));
    }

    [Fact]
    public async Task TheKvStore_ReplicatedByTheHost_IsTheSameOnEveryNode_AfterSnapshotsAndARestart()
    {
        var wire = new Wire();
        var ids = new[] { new NodeId(1), new NodeId(2), new NodeId(3) };
        var groups = new[] { new GroupId(1), new GroupId(2) };
        var nodes = ids.Select(id => new KvNode(id, Path.Combine(_root, $"n{id.Value}"), wire)).ToList();
        try
        {
            foreach (var node in nodes)
            {
                node.Start();
                foreach (var group in groups)
                {
                    await node.Runtime.InvokeAsync(h =>
                    {
                        h.CreateGroup(new GroupDescriptor(group, node.Id, new Configuration(ids)));
                        return true;
                    });
                }
            }

            foreach (var group in groups)
            {
                await PutAllAsync(await LeaderOf(nodes, group), group, $"g{group.Value}/k", 120);
            }

            async Task Converged(string what)
            {
                foreach (var group in groups)
                {
                    var leader = await LeaderOf(nodes, group);
                    await Until(async () =>
                    {
                        var expected = await leader.StateOf(group);
                        foreach (var node in nodes.Where(n => n.Up))
                        {
                            if (await node.StateOf(group) != expected)
                            {
                                return false;
                            }
                        }

                        return true;
                    }, $"{what}: {group} is the same everywhere");
                }
            }

            await Converged("after the first writes");

            // Node 3 stops; 150 more writes per group let the others snapshot and compact past it; it comes back.
            await nodes[2].DisposeAsync();
            foreach (var group in groups)
            {
                await PutAllAsync(await LeaderOf(nodes, group), group, $"g{group.Value}/late", 150);
            }

            nodes[2].Start();
            await Converged("after the restart");

            // The leaders compacted past what node 3 had: it caught up by installing their snapshots (today's codec).
            Assert.True(await nodes[2].Runtime.InvokeAsync(h => h.Statistics.SnapshotsInstalled) >= 1, "node 3 installed a snapshot");
            foreach (var group in groups)
            {
                var (applied, _) = await nodes[2].StateOf(group);
                Assert.True(applied >= 270, $"{group} applied {applied}");
                var view = await nodes[2].Runtime.InvokeAsync(_ => nodes[2].Machines[group].Machine.View);
                Assert.NotNull(view.Get("default", Encoding.UTF8.GetBytes($"g{group.Value}/late5")));
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
    public void ACommittedEntryThatDoesNotDecode_StopsTheGroup_WithAClearError()
    {
        var machine = new KvGroupStateMachine(new StateMachine());
        var error = Assert.Throws<InvalidDataException>(() => machine.Apply(new Entry(new LogIndex(1), new Term(1), EntryKind.Command, new byte[] { 9, 9, 9 })));
        Assert.Contains("does not decode", error.Message, StringComparison.Ordinal);
        machine.Apply(new Entry(new LogIndex(1), new Term(1), EntryKind.Empty, default));
        Assert.Equal(1L, machine.Machine.View.AppliedIndex);
    }
}
