using System.Text;
using Statehouse.Raft;
using Statehouse.Storage.Tests;

namespace Statehouse.Replication.Tests;

/// <summary>
/// Nodes with a <see cref="ReplicaHost"/> each over a <see cref="MemoryReplicaStore"/>, wired by an in-memory network
/// the test drives step by step: deterministic, no thread, no clock.
/// </summary>
internal sealed class HostCluster
{
    private readonly Queue<(NodeId From, NodeId To, IReadOnlyList<Message> Messages)> _wire = new();
    private readonly Func<NodeId, HostOptions> _options;
    private readonly int _seed;
    private readonly HostPlantedBug _bugs;

    public HostCluster(int nodes, int groups, Func<NodeId, HostOptions>? options = null, int seed = 1, HostPlantedBug bugs = HostPlantedBug.None, TestStoreKind store = TestStoreKind.Memory)
    {
        _seed = seed;
        _bugs = bugs;
        _options = options ?? (_ => new HostOptions());
        var voters = Enumerable.Range(1, nodes).Select(i => new NodeId((ulong)i)).ToArray();
        Groups = Enumerable.Range(1, groups).Select(i => new GroupId((ulong)i)).ToArray();
        foreach (var id in voters)
        {
            var node = new Node(this, id, store);
            Nodes.Add(node);
            node.Start();
            foreach (var group in Groups)
            {
                node.Host.CreateGroup(new GroupDescriptor(group, id, new Configuration(voters)));
            }

            node.Host.Pump();
        }
    }

    public List<Node> Nodes { get; } = [];

    public GroupId[] Groups { get; }

    /// <summary>Links that drop every message (from, to).</summary>
    public HashSet<(NodeId From, NodeId To)> Cut { get; } = [];

    /// <summary>When set, sees every send before it is queued (from, to, messages).</summary>
    public Action<Node, NodeId, IReadOnlyList<Message>>? OnSend { get; set; }

    public Node this[ulong id] => Nodes.Single(n => n.Id.Value == id);

    /// <summary>Completes writes and delivers messages until nothing moves (bounded).</summary>
    public void Settle(int maxPasses = 500)
    {
        for (var pass = 0; pass < maxPasses; pass++)
        {
            if (!Pass())
            {
                return;
            }
        }

        throw new InvalidOperationException("The cluster did not settle.");
    }

    /// <summary>One pass: every up node completes its pending store work, then the messages sent so far are delivered.</summary>
    public bool Pass()
    {
        var moved = false;
        foreach (var node in Nodes.Where(n => n.Up))
        {
            while (node.CompletePersist() | node.CompleteSnapshot())
            {
                moved = true;
            }
        }

        for (var count = _wire.Count; count > 0; count--)
        {
            var (from, to, messages) = _wire.Dequeue();
            moved = true;
            var node = Nodes.SingleOrDefault(n => n.Id == to);
            if (node is null || !node.Up || Cut.Contains((from, to)))
            {
                continue;
            }

            foreach (var message in messages)
            {
                node.Host.Step(message);
            }

            node.Host.Pump();
        }

        return moved;
    }

    public void Tick()
    {
        foreach (var node in Nodes.Where(n => n.Up))
        {
            node.Host.Tick();
            node.Host.Pump();
        }
    }

    /// <summary>Ticks and settles until <paramref name="condition"/> holds.</summary>
    public void RunUntil(Func<bool> condition, string what, int maxTicks = 500)
    {
        for (var tick = 0; tick < maxTicks; tick++)
        {
            Settle();
            if (condition())
            {
                return;
            }

            Tick();
        }

        throw new TimeoutException($"Not within {maxTicks} ticks: {what}.");
    }

    public Node? LeaderOf(GroupId group) =>
        Nodes.Where(n => n.Up && n.Host.Status(group)?.Role == RaftRole.Leader).OrderByDescending(n => n.Host.Status(group)!.Term).FirstOrDefault();

    public void ElectAll() => RunUntil(() => Groups.All(g => LeaderOf(g) is not null), "every group has a leader");

    /// <summary>Proposes <paramref name="command"/> at the group's leader; returns where it went.</summary>
    public ProposeResult Propose(GroupId group, string command)
    {
        var leader = LeaderOf(group) ?? throw new InvalidOperationException($"{group} has no leader.");
        ProposeResult? result = null;
        leader.Host.Propose(group, Encoding.UTF8.GetBytes(command), r => result = r);
        leader.Host.Pump();

        // The group may be inside a Ready being persisted: the proposal then waits for the batch.
        for (var pass = 0; result is null && pass < 100; pass++)
        {
            Pass();
        }

        Assert.NotNull(result);
        return result.Value;
    }

    internal void Send(Node from, NodeId to, IReadOnlyList<Message> messages)
    {
        OnSend?.Invoke(from, to, messages);
        _wire.Enqueue((from.Id, to, messages));
    }

    internal sealed class Node : IPeerTransport
    {
        private readonly HostCluster _cluster;
        private readonly TestStoreKind _kind;
        private FileReplicaStore? _fileStore;

        public Node(HostCluster cluster, NodeId id, TestStoreKind kind)
        {
            _cluster = cluster;
            Id = id;
            _kind = kind;
        }

        public NodeId Id { get; }

        /// <summary>The memory store's disk (what survives a crash), for the memory kind.</summary>
        public MemoryReplicaDisk Disk { get; } = new();

        /// <summary>The file store's disk, for the file kind.</summary>
        public FaultyFileSystem Files { get; } = new();

        public IReplicaStore Store { get; private set; } = null!;

        /// <summary>The memory store (memory kind only).</summary>
        public MemoryReplicaStore MemoryStore => (MemoryReplicaStore)Store;

        public ReplicaHost Host { get; private set; } = null!;

        public Dictionary<GroupId, ListMachine> Machines { get; } = [];

        public bool Up { get; private set; }

        public int Incarnation { get; private set; }

        public string Directory => $"/node{Id.Value}";

        public void Start()
        {
            Incarnation++;
            Machines.Clear();
            if (_kind == TestStoreKind.File)
            {
                _fileStore = FileReplicaStore.Open(new FileReplicaStoreOptions
                {
                    Directory = Directory,
                    FileSystem = Files,
                    SegmentSizeBytes = 64 << 10,
                    PreallocateSegments = false,
                });
                Store = _fileStore;
            }
            else
            {
                Store = new MemoryReplicaStore(Disk);
            }

            Host = new ReplicaHost(_cluster._options(Id), Store, this, d => Machines[d.Group] = new ListMachine(),
                new Random((_cluster._seed * 1_000) + ((int)Id.Value * 10) + Incarnation), PlantedBug.None, _cluster._bugs);
            Host.Open();
            Up = true;
        }

        public bool CompletePersist() => _fileStore?.CompletePersist(Host) ?? MemoryStore.CompletePersist(Host);

        public bool CompleteSnapshot() => _fileStore?.CompleteSnapshot(Host) ?? MemoryStore.CompleteSnapshot(Host);

        /// <summary>The node stops: what its store had not completed is lost (and, for files, what no fsync covered).</summary>
        public void Crash(CrashMode mode = CrashMode.LoseUnsynced)
        {
            Up = false;
            if (_fileStore is { } store)
            {
                try
                {
                    store.Dispose();
                }
                catch (SimulatedCrashException)
                {
                    // The disk is gone already: closing files fails, as it would.
                }

                _fileStore = null;
                Files.Restart(mode, Incarnation);
            }
        }

        public void Restart()
        {
            Start();
            Host.Pump();
        }

        /// <summary>A member's id is its node's id in every group here: one wire batch per destination node and round.</summary>
        public void Send(IReadOnlyList<Message> messages)
        {
            foreach (var perNode in messages.GroupBy(m => m.To))
            {
                _cluster.Send(this, perNode.Key, perNode.ToArray());
            }
        }
    }
}

/// <summary>Which store the test nodes run on.</summary>
public enum TestStoreKind
{
    Memory,
    File,
}
