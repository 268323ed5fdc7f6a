namespace Statehouse.Raft.Tests.Rules;

/// <summary>
/// One core driven by hand: the test plays every other member by stepping messages into it, and handles each Ready
/// the way a host must (persist, then Advance). What the core sends is returned from <see cref="Flush"/>.
/// </summary>
internal sealed class Rig
{
    private readonly RaftOptions _options;
    private readonly PlantedBug _planted;
    private int _restarts;

    public Rig(ulong id = 1, Configuration? configuration = null, Func<RaftOptions, RaftOptions>? configure = null, PlantedBug planted = PlantedBug.None, MemoryRaftStorage? storage = null)
    {
        _options = (configure ?? (o => o))(new RaftOptions { Id = new NodeId(id), Group = Group, PreVote = false });
        _planted = planted;
        Storage = storage ?? new MemoryRaftStorage(configuration ?? Voters(1, 2, 3));
        Node = new RaftNode(_options, Storage, new Random(17), planted);
    }

    public static GroupId Group { get; } = new(1);

    public RaftNode Node { get; private set; }

    public MemoryRaftStorage Storage { get; }

    public NodeId Id => Node.Id;

    public static NodeId N(ulong id) => new(id);

    public static Configuration Voters(params ulong[] ids) => new(ids.Select(N));

    /// <summary>Handles one Ready as a host would (persist, apply, Advance) and returns it; null if there was none.</summary>
    public Ready? Flush()
    {
        if (!Node.HasReady)
        {
            return null;
        }

        var ready = Node.GetReady();
        Storage.Apply(ready);
        foreach (var entry in ready.CommittedEntries)
        {
            Storage.Applied = entry.Index;
        }

        Node.Advance(ready);
        return ready;
    }

    /// <summary>Everything sent by every Ready until the core is quiet: (sent at once, sent after persist).</summary>
    public (List<Message> Now, List<Message> AfterPersist) FlushAll()
    {
        var now = new List<Message>();
        var after = new List<Message>();
        while (Flush() is { } ready)
        {
            now.AddRange(ready.Messages);
            after.AddRange(ready.MessagesAfterPersist);
        }

        return (now, after);
    }

    public Message Msg(MessageKind kind, ulong from, ulong term) => new()
    {
        Kind = kind,
        Group = Group,
        From = N(from),
        To = Id,
        Term = new Term(term),
    };

    public void Step(Message message) => Node.Step(message);

    /// <summary>A crash and restart: a new core from what the storage holds.</summary>
    public void Restart()
    {
        _restarts++;
        Node = new RaftNode(_options, Storage, new Random(17 + _restarts), _planted);
    }

    /// <summary>Makes this member the leader of its voters in the next term, votes granted by the two lowest others.</summary>
    public void Elect()
    {
        Assert.True(Node.Campaign());
        var others = Node.Configuration.Voters.Where(v => v != Id).ToArray();
        if (Node.Role == RaftRole.PreCandidate)
        {
            var term = Node.Term.Value + 1;
            foreach (var voter in others)
            {
                Step(Msg(MessageKind.PreVoteResponse, voter.Value, term));
            }
        }

        Flush();
        foreach (var voter in others)
        {
            if (Node.Role == RaftRole.Candidate)
            {
                Step(Msg(MessageKind.VoteResponse, voter.Value, Node.Term.Value));
            }
        }

        Assert.Equal(RaftRole.Leader, Node.Role);
    }

    /// <summary>Elects this member and commits its term's empty entry with acknowledgements from every other voter.</summary>
    public void ElectAndCommit()
    {
        Elect();
        Flush();
        AckAll();
    }

    /// <summary>Every other member acknowledges the whole log (the host has flushed it first).</summary>
    public void AckAll()
    {
        Flush();
        foreach (var member in Node.Configuration.Members.Where(m => m != Id))
        {
            Step(Msg(MessageKind.AppendResponse, member.Value, Node.Term.Value) with { Index = Node.LastIndex });
        }

        Flush();
    }

    /// <summary>Entries to preload a member's storage with (index i has term terms[i-1]).</summary>
    public static Entry[] Log(params ulong[] terms) =>
        terms.Select((t, i) => new Entry(new LogIndex((ulong)i + 1), new Term(t), EntryKind.Command, new byte[] { (byte)i })).ToArray();

    public static MemoryRaftStorage StorageWith(Configuration configuration, ulong term, params ulong[] terms)
    {
        var storage = new MemoryRaftStorage(configuration);
        if (terms.Length > 0)
        {
            storage.Append(Log(terms));
        }

        storage.SetHardState(new HardState(new Term(term), NodeId.None, LogIndex.Zero));
        return storage;
    }
}
