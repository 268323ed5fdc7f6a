using Statehouse.Raft;
using Statehouse.Simulator.Core;
using Statehouse.Simulator.Disk;
using Statehouse.Simulator.Workloads;

namespace Statehouse.Simulator.Hosts;

/// <summary>
/// One member of one group on one node: the real <see cref="RaftNode"/> behind a host that follows the Ready contract
/// to the letter (see <see cref="Ready"/>): send, persist (durable after a simulated fsync), send what waited for the
/// persist, apply, answer reads, advance — and nothing reaches the core in between: while a Ready is being persisted
/// the core is busy, and messages, ticks and client requests wait in the inbox.
/// </summary>
/// <remarks>
/// The state machine lives in memory only: after a crash it is rebuilt from the durable snapshot, and the core hands
/// out the committed entries again from there. The host snapshots every <see cref="Running.RunConfig.SnapshotEveryEntries"/>
/// applied entries and compacts its log.
/// </remarks>
internal sealed partial class ModelHost : ISimMember
{
    private readonly IHostWorld _world;
    private readonly Queue<HostInput> _inbox = new();
    private readonly Random _random;
    private GroupStateMachine _machine;
    private LogIndex _applied;
    private Ready? _persisting;
    private long _syncId;
    private Term _lastLedTerm;
    private Term? _tookOfficeIn;

    public ModelHost(IHostWorld world, int node, GroupId group, NodeId member, Configuration bootstrap)
    {
        _world = world;
        Node = node;
        Group = group;
        Member = member;
        Storage = new SimStorage(bootstrap);
        _random = Seeds.Stream(world.Config.Seed, StreamKind.Host, (ulong)node, group.Value, member.Value);
        _machine = GroupStateMachine.Initial(world.Config.Accounts, world.Config.InitialBalance);
    }

    /// <summary>The node this member runs on.</summary>
    public int Node { get; }

    public GroupId Group { get; }

    public NodeId Member { get; }

    /// <summary>Its disks (they survive crashes, minus what was not synced).</summary>
    public SimStorage Storage { get; }

    /// <summary>The core; null while the node is down or after the member retired.</summary>
    public RaftNode? Core { get; private set; }

    /// <summary>How many times the core was (re)built.</summary>
    public long Incarnation { get; private set; }

    /// <summary>The highest index the state machine applied.</summary>
    public LogIndex Applied => _applied;

    /// <summary>Inputs dropped because the inbox was full.</summary>
    public long InputsDropped { get; private set; }

    /// <inheritdoc />
    public bool TryGetStoredTerm(LogIndex index, out Term term) => Storage.Image.TryGetTerm(index, out term);

    /// <summary>Whether a Ready is waiting for its fsync.</summary>
    public bool Busy => _persisting is not null;

    /// <summary>
    /// (Re)builds the core from what the disks hold, and the state machine from the latest snapshot (the core hands
    /// out committed entries from the snapshot's index on).
    /// </summary>
    public void Start()
    {
        SimulatorAssert.That(Core is null, "a host started twice");
        Incarnation++;
        var config = _world.Config;
        var random = Seeds.Stream(config.Seed, StreamKind.Core, (ulong)Node, Group.Value, (Member.Value << 16) ^ (ulong)Incarnation);
        var image = Storage.Image;
        _machine = image.SnapshotData is { } data ? GroupStateMachine.Deserialize(data) : GroupStateMachine.Initial(config.Accounts, config.InitialBalance);
        _applied = image.SnapshotIndex;
        _lastLedTerm = Term.Zero;
        _tookOfficeIn = null;
        Core = new RaftNode(config.CoreOptions(Group, Member), Storage, random, config.Plant);
        Pump();
    }

    /// <summary>
    /// The node stopped: the core and the state machine are gone, the inbox and every pending request with them, and
    /// the disks keep what was synced (plus a torn prefix of the rest when <paramref name="keepFraction"/> &gt; 0).
    /// </summary>
    /// <returns>Units of unsynced writes lost.</returns>
    public int Crash(double keepFraction)
    {
        Stop();
        return Storage.Crash(keepFraction);
    }

    /// <summary>The member left the group for good (its removal committed): it stops and is never started again.</summary>
    public void Retire() => Stop();

    /// <summary>Hands an input to the core now, or queues it while the core is busy.</summary>
    public void Enqueue(HostInput input)
    {
        if (Core is null)
        {
            return;
        }

        if (_inbox.Count >= _world.Config.HostInboxCapacity)
        {
            InputsDropped++;
            return;
        }

        _inbox.Enqueue(input);
        Pump();
    }

    /// <summary>
    /// Feeds queued inputs to the core and handles its Readys until the inbox is empty or a Ready waits for an fsync.
    /// Between two Readys the core takes 1 to <see cref="Running.RunConfig.MaxInputsPerReady"/> inputs (a batching host).
    /// </summary>
    private void Pump()
    {
        // Bounded: each turn consumes an input or a Ready, and a Ready without new input is followed by no other.
        for (var turn = 0; turn < 1_000_000; turn++)
        {
            if (Core is null || Busy)
            {
                return;
            }

            if (Core.HasReady)
            {
                HandleReady();
                continue;
            }

            if (_inbox.Count == 0)
            {
                return;
            }

            var take = Math.Min(_inbox.Count, 1 + _random.Next(_world.Config.MaxInputsPerReady));
            for (var i = 0; i < take && Core is not null; i++)
            {
                Feed(_inbox.Dequeue());
                AfterCoreCall();

                // A member that just took office gets its Ready at once, so its log is checked as it was elected.
                if (_tookOfficeIn is not null)
                {
                    break;
                }
            }
        }

        throw new SimulatorAssertException("a host's pump did not settle");
    }

    private void Feed(HostInput input)
    {
        var core = Core!;
        switch (input)
        {
            case StepInput { Message: var message }:
                core.Step(message);
                break;
            case TickInput:
                core.Tick();
                break;
            case RequestInput { Request: var request }:
                HandleRequest(request);
                break;
            case TransferInput { Target: var target }:
                core.TransferLeadership(target);
                break;
            case ConfigChangeInput change:
                change.OnResult(core.ProposeConfigChange(change.Change));
                break;
            default:
                throw new SimulatorAssertException($"unknown host input {input}");
        }
    }

    /// <summary>After every call on the core: election safety, and note a new term of office for the completeness check.</summary>
    private void AfterCoreCall()
    {
        var core = Core;
        if (core is null || core.Role != RaftRole.Leader)
        {
            return;
        }

        _world.Monitor.ObserveLeader(Group, core.Term, Member);
        if (core.Term != _lastLedTerm)
        {
            _lastLedTerm = core.Term;
            _tookOfficeIn = core.Term;
            _world.OnTookOffice(this);
        }
    }

    private void Stop()
    {
        Core = null;
        _inbox.Clear();
        _persisting = null;
        _pendingWrites.Clear();
        _pendingReads.Clear();
        _waitingReads.Clear();
    }
}
