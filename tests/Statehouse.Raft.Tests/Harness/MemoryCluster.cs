using Statehouse.Raft;

namespace Statehouse.Raft.Tests.Harness;

/// <summary>
/// A group of cores wired together in memory, driven by hand: messages wait in a queue until delivered, links can be
/// cut, members can crash (losing what was not persisted — here everything a Ready asked is persisted at once) and
/// restart. Deterministic: delivery order is the send order.
/// </summary>
internal sealed class MemoryCluster
{
    private readonly Dictionary<NodeId, Member> _members = [];
    private readonly HashSet<(NodeId From, NodeId To)> _cut = [];
    private readonly Func<NodeId, RaftOptions> _options;
    private readonly int _seed;

    public MemoryCluster(int voters, int seed = 1, Func<RaftOptions, RaftOptions>? configure = null, PlantedBug planted = PlantedBug.None)
    {
        _seed = seed;
        Planted = planted;
        _options = id => (configure ?? (o => o))(new RaftOptions { Id = id, Group = new GroupId(1) });
        var configuration = new Configuration(Enumerable.Range(1, voters).Select(i => new NodeId((ulong)i)));
        foreach (var id in configuration.Voters)
        {
            Add(id, new MemoryRaftStorage(configuration));
        }
    }

    public PlantedBug Planted { get; }

    /// <summary>Messages sent and not yet delivered, in send order.</summary>
    public List<Message> InFlight { get; } = [];

    /// <summary>Every entry applied, per member, in order.</summary>
    public Dictionary<NodeId, List<Entry>> Applied { get; } = [];

    /// <summary>Every read state delivered, per member.</summary>
    public Dictionary<NodeId, List<ReadState>> Reads { get; } = [];

    public IEnumerable<NodeId> Ids => _members.Keys.Order();

    public RaftNode this[ulong id] => _members[new NodeId(id)].Node;

    public MemoryRaftStorage StorageOf(ulong id) => _members[new NodeId(id)].Storage;

    public Member Add(NodeId id, MemoryRaftStorage storage)
    {
        var member = new Member(id, storage, new RaftNode(_options(id), storage, new Random(unchecked((_seed * 7919) + (int)id.Value)), Planted));
        _members[id] = member;
        Applied.TryAdd(id, []);
        Reads.TryAdd(id, []);
        return member;
    }

    /// <summary>Replaces a member's core with one rebuilt from its storage (a crash and restart).</summary>
    public void Restart(ulong id)
    {
        var member = _members[new NodeId(id)];
        InFlight.RemoveAll(m => m.To == member.Id || m.From == member.Id);
        _members[member.Id] = member with
        {
            Node = new RaftNode(_options(member.Id), member.Storage, new Random(unchecked((_seed * 7919) + (int)id + 7)), Planted),
        };
        Applied[member.Id] = [.. Applied[member.Id].Where(e => e.Index <= member.Storage.Applied)];
    }

    public void Cut(ulong a, ulong b)
    {
        _cut.Add((new NodeId(a), new NodeId(b)));
        _cut.Add((new NodeId(b), new NodeId(a)));
    }

    /// <summary>Cuts every link of <paramref name="id"/>.</summary>
    public void Isolate(ulong id)
    {
        foreach (var other in Ids)
        {
            if (other.Value != id)
            {
                Cut(id, other.Value);
            }
        }
    }

    public void Heal() => _cut.Clear();

    /// <summary>Handles every member's Ready (persist, send, apply, advance) until none has one.</summary>
    public void ProcessReady()
    {
        var progress = true;
        while (progress)
        {
            progress = false;
            foreach (var id in Ids)
            {
                var member = _members[id];
                if (!member.Node.HasReady)
                {
                    continue;
                }

                progress = true;
                var ready = member.Node.GetReady();
                Queue(ready.Messages);
                member.Storage.Apply(ready);
                Queue(ready.MessagesAfterPersist);
                if (ready.SnapshotToInstall is { } snapshot)
                {
                    Applied[id].RemoveAll(e => e.Index <= snapshot.Index);
                }

                foreach (var entry in ready.CommittedEntries)
                {
                    Applied[id].Add(entry);
                    member.Storage.Applied = entry.Index;
                }

                Reads[id].AddRange(ready.ReadStates);
                member.Node.Advance(ready);
            }
        }
    }

    /// <summary>Delivers messages (and the traffic they cause) until the network is quiet; returns how many.</summary>
    public int Stabilize(int maxMessages = 100_000)
    {
        var delivered = 0;
        ProcessReady();
        while (InFlight.Count > 0)
        {
            var message = InFlight[0];
            InFlight.RemoveAt(0);
            if (!_cut.Contains((message.From, message.To)) && _members.TryGetValue(message.To, out var target))
            {
                target.Node.Step(message);
                delivered++;
                if (delivered > maxMessages)
                {
                    throw new InvalidOperationException("The network did not go quiet.");
                }
            }

            ProcessReady();
        }

        return delivered;
    }

    /// <summary>Ticks every member <paramref name="ticks"/> times, stabilizing after each tick.</summary>
    public void TickAll(int ticks = 1)
    {
        for (var i = 0; i < ticks; i++)
        {
            foreach (var id in Ids)
            {
                _members[id].Node.Tick();
            }

            Stabilize();
        }
    }

    /// <summary>Makes <paramref name="id"/> campaign and delivers until quiet.</summary>
    public void Elect(ulong id)
    {
        this[id].Campaign();
        Stabilize();
    }

    public NodeId? LeaderOf()
    {
        var leaders = Ids.Where(id => _members[id].Node.Role == RaftRole.Leader).ToList();
        return leaders.Count == 0 ? null : leaders.MaxBy(id => _members[id].Node.Term.Value);
    }

    private void Queue(IReadOnlyList<Message> messages) => InFlight.AddRange(messages);

    internal sealed record Member(NodeId Id, MemoryRaftStorage Storage, RaftNode Node);
}
