using Statehouse.Raft;

namespace Statehouse.Raft.Bench;

/// <summary>
/// A 3-member group driven in one thread: messages go straight from one member's Ready to the next member's Step,
/// storage is <see cref="MemoryRaftStorage"/>, compacted as the benchmark goes so memory stays flat.
/// </summary>
internal sealed class InMemoryGroup
{
    private readonly RaftNode[] _nodes;
    private readonly MemoryRaftStorage[] _storage;
    private readonly Queue<Message> _network = new();
    private readonly byte[] _snapshotData = [1];

    public InMemoryGroup(int members, int maxInflightAppends)
    {
        var configuration = new Configuration(Enumerable.Range(1, members).Select(i => new NodeId((ulong)i)));
        _nodes = new RaftNode[members];
        _storage = new MemoryRaftStorage[members];
        for (var i = 0; i < members; i++)
        {
            _storage[i] = new MemoryRaftStorage(configuration);
            var options = new RaftOptions { Id = new NodeId((ulong)(i + 1)), Group = new GroupId(1), MaxInflightAppends = maxInflightAppends };
            _nodes[i] = new RaftNode(options, _storage[i], new Random(i + 1));
        }

        Leader.Campaign();
        Pump();
        if (Leader.Role != RaftRole.Leader)
        {
            throw new InvalidOperationException("The group did not elect member 1.");
        }
    }

    public RaftNode Leader => _nodes[0];

    public long AppliedEntries { get; private set; }

    /// <summary>Runs every Ready and delivers every message until all is quiet.</summary>
    public void Pump()
    {
        var busy = true;
        while (busy)
        {
            busy = false;
            for (var i = 0; i < _nodes.Length; i++)
            {
                var node = _nodes[i];
                if (!node.HasReady)
                {
                    continue;
                }

                busy = true;
                var ready = node.GetReady();
                Enqueue(ready.Messages);
                _storage[i].Apply(ready);
                Enqueue(ready.MessagesAfterPersist);
                if (ready.CommittedEntries.Count > 0)
                {
                    _storage[i].Applied = ready.CommittedEntries[^1].Index;
                    if (i == 0)
                    {
                        AppliedEntries += ready.CommittedEntries.Count;
                    }
                }

                node.Advance(ready);
            }

            while (_network.TryDequeue(out var message))
            {
                busy = true;
                _nodes[message.To.Value - 1].Step(message);
            }
        }
    }

    /// <summary>Drops log entries every member has applied (what a host does after a snapshot).</summary>
    public void Compact()
    {
        for (var i = 0; i < _nodes.Length; i++)
        {
            var applied = _nodes[i].AppliedIndex;
            if (applied >= _storage[i].FirstIndex && _storage[i].TryGetTerm(applied, out var term))
            {
                _storage[i].Compact(new SnapshotMeta(applied, term, _nodes[i].ConfigurationAt(applied), _snapshotData.Length, 1), _snapshotData);
            }
        }
    }

    private void Enqueue(IReadOnlyList<Message> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            _network.Enqueue(messages[i]);
        }
    }
}
