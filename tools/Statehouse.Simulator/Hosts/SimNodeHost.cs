using Statehouse.Raft;
using Statehouse.Replication;
using Statehouse.Simulator.Checks;
using Statehouse.Simulator.Core;
using Statehouse.Simulator.Disk;
using Statehouse.Storage.Groups;

namespace Statehouse.Simulator.Hosts;

/// <summary>
/// One node running the real <see cref="ReplicaHost"/> (issue 13): every group member of the node in one host, one
/// shared store whose batches become durable after a simulated fsync, its transport on the simulated network, its
/// ticks on the node's clock. The store's disk (<see cref="MemoryReplicaDisk"/>) survives crashes; the host, the store's
/// view and the state machines are rebuilt at each start.
/// </summary>
internal sealed class SimNodeHost : IPeerTransport
{
    private readonly IHostWorld _world;
    private readonly MemoryReplicaDisk _disk = new();
    private readonly SortedDictionary<ulong, HostedMember> _members = [];
    private readonly List<ISimMember> _committedByLeader = [];
    private long _incarnation;

    public SimNodeHost(IHostWorld world, int index)
    {
        _world = world;
        Index = index;
    }

    /// <summary>The node (0-based).</summary>
    public int Index { get; }

    /// <summary>The host of the node's current life (null while down).</summary>
    public ReplicaHost? Host { get; private set; }

    /// <summary>Its store in the current life (null while down).</summary>
    public MemoryReplicaStore? Store { get; private set; }

    /// <summary>The statistics of every life of the node's host, for the run's report.</summary>
    public List<HostStatistics> Lives { get; } = [];

    /// <summary>The live members, by group.</summary>
    public IEnumerable<HostedMember> Members => _members.Values;

    /// <summary>Whether the node still holds a member of <paramref name="group"/> (live, or retired but not yet gone).</summary>
    public bool HoldsGroup(GroupId group) => _members.ContainsKey(group.Value) || (Host?.Holds(group) ?? false);

    /// <summary>Adds a member of a group to the node (at setup, or a joiner with an empty configuration).</summary>
    public HostedMember AddMember(GroupId group, NodeId member, Configuration bootstrap)
    {
        SimulatorAssert.That(!_members.ContainsKey(group.Value), $"node {Index + 1} already hosts a member of {group}");
        var hosted = new HostedMember(this, group, member, bootstrap);
        _members[group.Value] = hosted;
        if (Host is { } host)
        {
            host.CreateGroup(new GroupDescriptor(group, member, bootstrap));
            host.Pump();
        }

        return hosted;
    }

    /// <summary>The member left its group for good: the host removes the group (durably, with its next batch).</summary>
    public void Retire(HostedMember member)
    {
        member.Retired = true;
        if (_members.TryGetValue(member.Group.Value, out var live) && live == member)
        {
            _members.Remove(member.Group.Value);
            if (Host is { } host && host.Hosts(member.Group) && host.MemberOf(member.Group) == member.Member)
            {
                host.RemoveGroup(member.Group);
                host.Pump();
            }
        }
    }

    /// <summary>(Re)starts the node from what its disk holds.</summary>
    public void Start()
    {
        SimulatorAssert.That(Host is null, "a node host started twice");
        _incarnation++;
        var config = _world.Config;
        Store = new MemoryReplicaStore(_disk) { PlantReportBeforeDurable = (config.HostPlant & HostPlantedBug.ReportBeforeDurable) != 0 };
        var options = new HostOptions
        {
            CoreOptions = group => config.CoreOptions(group, NodeId.None),
            SnapshotEveryEntries = config.SnapshotEveryEntries,
            MaxQueuedInputsPerGroup = config.HostInboxCapacity,
        };
        var random = Seeds.Stream(config.Seed, StreamKind.Core, (ulong)Index, 0, (ulong)_incarnation);
        Host = new ReplicaHost(options, new StoreSeam(this), this, MachineFor, random, config.Plant, config.HostPlant & ~HostPlantedBug.ReportBeforeDurable);
        Lives.Add(Host.Statistics);
        Host.Open();

        // A retirement whose Remove record was lost with a crash is done again; a member whose creation was lost is
        // created again (it had nothing durable, so nothing of it was acknowledged).
        foreach (var group in Host.Groups.ToList())
        {
            if (!_members.TryGetValue(group.Value, out var live) || live.Member != Host.MemberOf(group))
            {
                Host.RemoveGroup(group);
            }
        }

        // The round drops the removed groups (their Remove records go in its batch); then the lost creations.
        Host.Pump();
        foreach (var member in _members.Values)
        {
            if (!Host.Holds(member.Group))
            {
                Host.CreateGroup(new GroupDescriptor(member.Group, member.Member, member.Bootstrap));
            }
        }

        Host.Pump();
    }

    /// <summary>
    /// The node stops. A batch in flight is lost, unless <paramref name="keepFraction"/> ≥ ½: then its fsync had
    /// completed and only the report was lost (durable, never acknowledged). The shared log never keeps half a batch.
    /// </summary>
    /// <returns>Batches lost.</returns>
    public int Crash(double keepFraction)
    {
        var store = Store!;
        if (store.PlantReportBeforeDurable)
        {
            store.LoseUnsynced();
        }
        else if (keepFraction >= 0.5)
        {
            store.MakeNextDurable();
        }

        var lost = store.PendingBatches;
        Host = null;
        Store = null;
        foreach (var member in _members.Values)
        {
            member.Machine = null;
        }

        return lost;
    }

    public void Tick()
    {
        Host!.Tick();
        Host.Pump();
    }

    /// <summary>The fsync of the oldest batch in flight completed.</summary>
    public void OnSyncCompleted()
    {
        var store = Store!;
        try
        {
            if (store.PlantReportBeforeDurable)
            {
                store.MakeNextDurable();
            }
            else
            {
                store.CompletePersist(Host!);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new ViolationException(new Violation("snapshot-checksum", $"node {Index + 1}: {ex.Message}", _world.NowUs));
        }
    }

    /// <summary>The planted bug: the host hears a batch is durable before its fsync.</summary>
    public void OnEarlyReport(long batchId) => Store!.ReportEarly(Host!, batchId);

    /// <summary>The oldest snapshot being written is durable.</summary>
    public void OnSnapshotWritten()
    {
        Store!.CompleteSnapshot(Host!);
    }

    /// <inheritdoc />
    public void Send(IReadOnlyList<Message> messages)
    {
        foreach (var message in messages)
        {
            _world.SendRaft(Index, message);
        }
    }

    private IGroupStateMachine MachineFor(GroupDescriptor descriptor)
    {
        if (_members.TryGetValue(descriptor.Group.Value, out var member) && member.Member == descriptor.Member)
        {
            member.Machine = new SimGroupMachine(_world, member);
            return member.Machine;
        }

        // A retired member still on disk (its removal was lost): it is removed again right after the host opens.
        return new SimGroupMachine(_world, new HostedMember(this, descriptor.Group, descriptor.Member, descriptor.Bootstrap) { Retired = true });
    }

    /// <summary>Log matching on every entry the batch stores (hash chains), before the write; leaders' commits noted.</summary>
    private void BeforePersist(PersistBatch batch)
    {
        var store = Store!;
        var host = Host!;
        var compactedTo = new Dictionary<ulong, (ulong Index, ulong Term)>();
        _committedByLeader.Clear();
        foreach (var operation in batch.Operations)
        {
            switch (operation)
            {
                case CompactOperation compact:
                    compactedTo[compact.Group] = (compact.Index, compact.Term);
                    break;
                case AppendEntriesOperation append:
                    ObserveStored(store, host, append, compactedTo);
                    break;
                case HardStateOperation hardState:
                    var group = new GroupId(hardState.Group);
                    var stored = store.Log.Find(hardState.Group);
                    if (_members.TryGetValue(hardState.Group, out var member) && member.Core is { Role: RaftRole.Leader } core && hardState.Commit > (stored?.Commit ?? 0) && host.Hosts(group))
                    {
                        _committedByLeader.Add(member);
                        _world.Monitor.ObserveLeaderCommit(group, core.Term, new LogIndex(stored?.Commit ?? 0), new LogIndex(hardState.Commit));
                    }

                    break;
            }
        }
    }

    private void ObserveStored(MemoryReplicaStore store, ReplicaHost host, AppendEntriesOperation append, Dictionary<ulong, (ulong Index, ulong Term)> compactedTo)
    {
        var group = new GroupId(append.Group);
        var member = host.MemberOf(group);
        var previous = append.Entries[0].Index - 1;
        ulong chain;
        if (previous == 0)
        {
            chain = Fnv.Basis;
        }
        else
        {
            var previousTerm = 0UL;
            if (compactedTo.TryGetValue(append.Group, out var compact) && compact.Index == previous)
            {
                previousTerm = compact.Term;
            }
            else
            {
                var stored = store.Log.Find(append.Group);
                SimulatorAssert.That(stored is not null && stored.TryGetTerm(previous, out previousTerm), $"{member} of {group} stores entries from {previous + 1} after a log it lacks");
            }

            SimulatorAssert.That(_world.Monitor.TryGetChain(group, new LogIndex(previous), new Term(previousTerm), out chain), "the entry before a stored batch was stored by some member");
        }

        foreach (var stored in append.Entries)
        {
            var entry = new Entry(new LogIndex(stored.Index), new Term(stored.Term), (EntryKind)stored.Kind, stored.Data);
            var hash = ModelHost.HashEntry(entry);
            chain = Fnv.Add(Fnv.Add(chain, hash), entry.Index.Value);
            _world.Monitor.ObserveStored(group, member, new StoredEntry(entry, hash, chain));
        }
    }

    /// <summary>
    /// Leader completeness and no acknowledged write lost, once a new leader's first Ready is durable; and a member
    /// whose creation waited for an earlier member's removal to be durable is created now.
    /// </summary>
    private void AfterPublish()
    {
        foreach (var waiting in _members.Values.Where(m => !m.Retired && !Host!.Holds(m.Group)).ToList())
        {
            Host!.CreateGroup(new GroupDescriptor(waiting.Group, waiting.Member, waiting.Bootstrap));
        }

        foreach (var member in _members.Values)
        {
            if (member.Machine is not { TookOfficeIn: { } term } machine)
            {
                continue;
            }

            machine.TookOfficeIn = null;
            if (member.Core is { Role: RaftRole.Leader } core && core.Term == term)
            {
                _world.Monitor.CheckNewLeader(member.Group, term, member.Member, new StoredLogView(Store!.Log.Find(member.Group.Value)));
            }
        }
    }

    /// <summary>The store the host writes through: the node's memory store, with the simulated fsync and the checks around it.</summary>
    private sealed class StoreSeam(SimNodeHost owner) : IReplicaStore
    {
        public GroupLogState Log => owner.Store!.Log;

        public IReadOnlyList<GroupDescriptor> Groups => owner.Store!.Groups;

        public IGroupSnapshots Snapshots(GroupId group) => owner.Store!.Snapshots(group);

        public void Persist(PersistBatch batch)
        {
            owner.BeforePersist(batch);
            owner.Store!.Persist(batch);
            owner._world.StartHostSync(owner.Index, batch.Id);
            if (owner.Store.PlantReportBeforeDurable)
            {
                owner._world.ScheduleEarlyReport(owner.Index, batch.Id);
            }

            foreach (var member in owner._committedByLeader)
            {
                owner._world.OnLeaderCommitted(member);
            }
        }

        public void Publish(PersistBatch batch)
        {
            owner.Store!.Publish(batch);
            owner.AfterPublish();
        }

        public void SaveSnapshot(SnapshotRequest request)
        {
            owner.Store!.SaveSnapshot(request);
            owner._world.StartHostSnapshot(owner.Index);
        }
    }

    private sealed class StoredLogView(StoredGroup? stored) : IStoredLog
    {
        public LogIndex SnapshotIndex => new(stored?.CompactIndex ?? 0);

        public LogIndex FirstIndex => new(stored?.FirstIndex ?? 1);

        public LogIndex LastIndex => new(stored?.LastIndex ?? 0);

        public bool TryGetTerm(LogIndex index, out Term term)
        {
            if (stored is null || !stored.TryGetTerm(index.Value, out var value))
            {
                term = Term.Zero;
                return stored is null && index == LogIndex.Zero;
            }

            term = new Term(value);
            return true;
        }
    }
}
