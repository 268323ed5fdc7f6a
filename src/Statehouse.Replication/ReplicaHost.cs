using Statehouse.Raft;

namespace Statehouse.Replication;

/// <summary>
/// Drives every replica group of one node (docs/internals/host.md §2): one core per group, one shared store written in
/// one batch per scheduler round, one transport. Deterministic: it owns no thread, timer or socket; a runtime calls it
/// from one thread (inputs, <see cref="Pump"/>, completions) and implements its seams.
/// </summary>
/// <remarks>
/// The Ready contract of the core (<see cref="Ready"/>) is kept per group: a group whose Ready is being persisted gets
/// no call (its inputs queue), its <see cref="Ready.MessagesAfterPersist"/> go out only after the batch holding its
/// writes is durable, and it applies only then. At most one batch is in flight; groups that become ready meanwhile go
/// in the next one, which is how many groups share one fdatasync.
/// </remarks>
public sealed partial class ReplicaHost
{
    private readonly HostOptions _options;
    private readonly IReplicaStore _store;
    private readonly IPeerTransport _transport;
    private readonly Func<GroupDescriptor, IGroupStateMachine> _machines;
    private readonly Random _random;
    private readonly PlantedBug _planted;
    private readonly HostPlantedBug _hostBugs;
    private readonly SortedDictionary<ulong, HostedGroup> _groups = [];
    private readonly List<GroupDescriptor> _created = [];

    // Groups whose Remove record is written but not yet published: their stored state is still in the view, so the
    // group cannot be created again on this node before it is gone.
    private readonly HashSet<ulong> _departing = [];
    private Exception? _failure;
    private bool _closed;
    private bool _opened;

    /// <summary>Creates a host over a store; <see cref="Open"/> starts the groups the store holds.</summary>
    /// <param name="options">Identity and limits.</param>
    /// <param name="store">The node's durable state.</param>
    /// <param name="transport">Where messages to other nodes go.</param>
    /// <param name="machines">Creates the state machine of a group (at open, and when a group is created).</param>
    /// <param name="random">Seeds each group's core (its only source of randomness), in creation order.</param>
    public ReplicaHost(HostOptions options, IReplicaStore store, IPeerTransport transport, Func<GroupDescriptor, IGroupStateMachine> machines, Random random)
        : this(options, store, transport, machines, random, PlantedBug.None, HostPlantedBug.None)
    {
    }

    internal ReplicaHost(
        HostOptions options, IReplicaStore store, IPeerTransport transport, Func<GroupDescriptor, IGroupStateMachine> machines, Random random, PlantedBug planted, HostPlantedBug hostBugs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(machines);
        ArgumentNullException.ThrowIfNull(random);
        options.Validate();
        _options = options;
        _store = store;
        _transport = transport;
        _machines = machines;
        _random = random;
        _planted = planted;
        _hostBugs = hostBugs;
    }

    /// <summary>What the host did so far.</summary>
    public HostStatistics Statistics { get; } = new();

    /// <summary>The store failure that stopped the host, if any (every later call throws).</summary>
    public Exception? Failure => _failure;

    /// <summary>The groups hosted, in id order.</summary>
    public IEnumerable<GroupId> Groups => _groups.Values.Select(g => g.Id);

    /// <summary>Whether a batch is being persisted.</summary>
    public bool Persisting => _inFlight is not null;

    /// <summary>Starts every group the store holds: state machines restored from the snapshot in force, cores from the log.</summary>
    public void Open()
    {
        ThrowIfFailed();
        Invariant.Assert(!_opened, "a host is opened once");
        _opened = true;
        foreach (var descriptor in _store.Groups)
        {
            StartGroup(descriptor);
        }
    }

    /// <summary>
    /// Creates a group on this node (a founding member, or one about to be added to an existing group with
    /// <see cref="Configuration.Empty"/>); its descriptor goes into the next batch, before any write of the group.
    /// </summary>
    /// <exception cref="ArgumentException">The group exists here already.</exception>
    public void CreateGroup(GroupDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ThrowIfFailed();
        Invariant.Assert(_opened, "open the host before creating groups");
        if (_groups.ContainsKey(descriptor.Group.Value) || _departing.Contains(descriptor.Group.Value))
        {
            throw new ArgumentException($"Group {descriptor.Group} exists on this node already (or its removal is not yet durable).", nameof(descriptor));
        }

        _created.Add(descriptor);
        StartGroup(descriptor);
    }

    /// <summary>
    /// The group leaves this node (its removal committed, or it moved): it gets no call from now on, inputs for it are
    /// refused, and its Remove record goes into the next batch once no Ready of it is in flight.
    /// </summary>
    public void RemoveGroup(GroupId group)
    {
        ThrowIfFailed();
        var hosted = Find(group);
        if (hosted.Removing)
        {
            return;
        }

        hosted.Removing = true;
        MarkDirty(hosted);
        while (hosted.Queued.Count > 0)
        {
            Refuse(hosted, hosted.Queued.Dequeue());
        }

        while (hosted.WaitingReads.Count > 0)
        {
            hosted.Machine.OnReadFailed(hosted.WaitingReads.Dequeue().RequestId, NodeId.None);
        }
    }

    /// <summary>Whether this node holds anything of <paramref name="group"/>: hosted, being removed, or its removal not yet durable.</summary>
    public bool Holds(GroupId group) => _groups.ContainsKey(group.Value) || _departing.Contains(group.Value);

    /// <summary>Whether this node hosts <paramref name="group"/> (and is not removing it).</summary>
    public bool Hosts(GroupId group) => _groups.TryGetValue(group.Value, out var g) && !g.Removing;

    /// <summary>This node's member id in <paramref name="group"/>.</summary>
    public NodeId MemberOf(GroupId group) => Find(group).Descriptor.Member;

    /// <summary>The core of a group, for the simulator's checks (read-only use).</summary>
    internal RaftNode? CoreOf(GroupId group) => _groups.TryGetValue(group.Value, out var g) && !g.Removing ? g.Core : null;

    /// <summary>What a group's core knows (null for a group not hosted here).</summary>
    public RaftStatus? Status(GroupId group) => _groups.TryGetValue(group.Value, out var g) ? g.Core.Status() : null;

    /// <summary>The last entry a group's state machine applied.</summary>
    public LogIndex AppliedIndex(GroupId group) => Find(group).Applied;

    /// <summary>A message for this node's member of one of its groups.</summary>
    public void Step(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        ThrowIfFailed();
        if (!_groups.TryGetValue(message.Group.Value, out var group) || message.To != group.Descriptor.Member || group.Removing)
        {
            Statistics.MessagesDropped++;
            return;
        }

        Deliver(group, new StepInput(message));
    }

    /// <summary>One tick of the node's clock for every group.</summary>
    public void Tick()
    {
        ThrowIfFailed();
        foreach (var group in _groups.Values)
        {
            if (group.Removing)
            {
                continue;
            }

            if (group.InFlight is null)
            {
                group.Core.Tick();
                MarkDirty(group);
            }
            else
            {
                group.QueuedTicks++;
            }
        }
    }

    /// <summary>Proposes a command; <paramref name="onResult"/> hears where it went (at once, or after the group's persist).</summary>
    public void Propose(GroupId group, ReadOnlyMemory<byte> command, Action<ProposeResult> onResult)
    {
        ArgumentNullException.ThrowIfNull(onResult);
        ThrowIfFailed();
        Deliver(Find(group), new ProposeInput(command, onResult));
    }

    /// <summary>Proposes a membership change of <paramref name="group"/> (one member at a time).</summary>
    public void ProposeConfigChange(GroupId group, ConfigChange change, Action<ProposeResult> onResult)
    {
        ArgumentNullException.ThrowIfNull(onResult);
        ThrowIfFailed();
        Deliver(Find(group), new ConfigChangeInput(change, onResult));
    }

    /// <summary>Asks for a linearizable read; the state machine hears <see cref="IGroupStateMachine.OnReadReady"/> or
    /// <see cref="IGroupStateMachine.OnReadFailed"/> with <paramref name="requestId"/>.</summary>
    public void ReadIndex(GroupId group, ulong requestId)
    {
        ThrowIfFailed();
        Deliver(Find(group), new ReadIndexInput(requestId));
    }

    /// <summary>Asks the leader of <paramref name="group"/> to hand over to <paramref name="target"/>; null: under way.</summary>
    public void TransferLeadership(GroupId group, NodeId target, Action<string?> onResult)
    {
        ArgumentNullException.ThrowIfNull(onResult);
        ThrowIfFailed();
        Deliver(Find(group), new TransferInput(target, onResult));
    }

    /// <summary>
    /// The node stops: every input still queued in a group is refused (proposals answered Busy) and every read waiting
    /// for its index fails, so no caller waits for ever. The host takes no call after this.
    /// </summary>
    public void Close()
    {
        foreach (var group in _groups.Values)
        {
            while (group.Queued.Count > 0)
            {
                Refuse(group, group.Queued.Dequeue());
            }

            while (group.WaitingReads.Count > 0)
            {
                group.Machine.OnReadFailed(group.WaitingReads.Dequeue().RequestId, NodeId.None);
            }
        }

        _closed = true;
    }

    /// <summary>The store could not persist or save: the host stops (nothing unsafe was acknowledged) and every call throws.</summary>
    public void OnStoreFailed(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        _failure ??= failure;
    }

    private HostedGroup Find(GroupId group) =>
        _groups.TryGetValue(group.Value, out var found) ? found : throw new ArgumentException($"Group {group} is not hosted on this node.", nameof(group));

    private void ThrowIfFailed()
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_failure is not null)
        {
            throw new InvalidOperationException("The replica host stopped after a store failure.", _failure);
        }
    }

    private void StartGroup(GroupDescriptor descriptor)
    {
        var storage = new GroupStorage(_store, descriptor);
        var machine = _machines(descriptor);
        var snapshot = storage.Snapshot;
        if (snapshot is not null)
        {
            using var data = _store.Snapshots(descriptor.Group).OpenRead(snapshot);
            machine.Restore(snapshot, data);
        }

        var random = new Random(_random.Next());
        var core = new RaftNode(_options.CoreOptionsFor(descriptor), storage, random, _planted);
        var hosted = new HostedGroup(descriptor, storage, core, machine, snapshot?.Index ?? LogIndex.Zero);
        _groups.Add(descriptor.Group.Value, hosted);
        MarkDirty(hosted);
    }

    private void Deliver(HostedGroup group, GroupInput input)
    {
        if (group.Removing)
        {
            Refuse(group, input);
            return;
        }

        if (group.InFlight is null)
        {
            Execute(group, input);
            return;
        }

        if (group.Queued.Count >= _options.MaxQueuedInputsPerGroup)
        {
            Refuse(group, input);
            return;
        }

        group.Queued.Enqueue(input);
    }

    private void Execute(HostedGroup group, GroupInput input)
    {
        var core = group.Core;
        MarkDirty(group);
        switch (input)
        {
            case StepInput step:
                core.Step(step.Message);
                break;
            case ProposeInput propose:
                propose.OnResult(core.Propose(propose.Command));
                break;
            case ConfigChangeInput change:
                change.OnResult(core.ProposeConfigChange(change.Change));
                break;
            case ReadIndexInput read:
                core.ReadIndex(read.RequestId);
                break;
            case TransferInput transfer:
                transfer.OnResult(core.TransferLeadership(transfer.Target));
                break;
            default:
                throw new InvalidOperationException($"Unknown group input {input}.");
        }
    }

    private void Refuse(HostedGroup group, GroupInput input)
    {
        var leader = group.Core.Leader;
        switch (input)
        {
            case StepInput:
                Statistics.MessagesDropped++;
                break;
            case ProposeInput propose:
                propose.OnResult(new ProposeResult(ProposeStatus.Busy, LogIndex.Zero, Term.Zero, leader, "the group's input queue is full"));
                break;
            case ConfigChangeInput change:
                change.OnResult(new ProposeResult(ProposeStatus.Busy, LogIndex.Zero, Term.Zero, leader, "the group's input queue is full"));
                break;
            case ReadIndexInput read:
                group.Machine.OnReadFailed(read.RequestId, leader);
                break;
            case TransferInput transfer:
                transfer.OnResult("the group's input queue is full");
                break;
        }
    }
}
