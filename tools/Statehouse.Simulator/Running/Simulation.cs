using System.Diagnostics;
using Statehouse.Raft;
using Statehouse.Simulator.Checks;
using Statehouse.Simulator.Core;
using Statehouse.Simulator.Disk;
using Statehouse.Simulator.Faults;
using Statehouse.Simulator.Hosts;
using Statehouse.Simulator.Network;
using Statehouse.Simulator.Workloads;

namespace Statehouse.Simulator.Running;

/// <summary>
/// One run: N nodes × M groups of the real core behind model hosts, driven by one event queue on simulated time, under
/// an explicit fault schedule, with clients recording what they saw. Single-threaded and a pure function of
/// (<see cref="RunConfig"/>, schedule): the trace hash says so.
/// </summary>
internal sealed partial class Simulation : IHostWorld, IClientWorld, IDisposable
{
    /// <summary>Member ids are join × <see cref="IdStride"/> + node + 1: a node that rejoins a group gets a fresh id.</summary>
    public const ulong IdStride = 100;

    private readonly EventQueue _queue;
    private readonly SimNetwork _network;
    private readonly SimNode[] _nodes;
    private readonly Dictionary<(ulong Group, ulong Member), ISimMember> _hosts = [];
    private readonly List<SimClient> _clients = [];
    private readonly IReadOnlyList<Fault> _schedule;
    private readonly TraceHasher _trace = new();
    private readonly Dictionary<string, long> _stats = new(StringComparer.Ordinal);
    // What the run was doing, formatted only when something fails (formatting it per event would cost more than the event).
    private (string What, object? Subject) _current = ("setup", null);
    private bool _converged;

    public Simulation(RunConfig config, IReadOnlyList<Fault> schedule, TextWriter? log = null)
    {
        Log = log;
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(schedule);
        Config = config;
        _schedule = schedule;
        _queue = new EventQueue(capacity: 4_000_000);
        _network = new SimNetwork(config, _queue);
        Monitor = new SafetyMonitor(() => _queue.NowUs);
        _nodes = new SimNode[config.Nodes];
        for (var i = 0; i < config.Nodes; i++)
        {
            var rate = config.ClockRates[i];
            _nodes[i] = new SimNode(i, rate, (long)Math.Round(config.TickUs / rate), new SimDisk(config, Seeds.Stream(config.Seed, StreamKind.Disk, (ulong)i)));
        }

        _admins = new GroupAdmin[config.Groups];
    }

    /// <inheritdoc />
    public RunConfig Config { get; }

    /// <inheritdoc />
    public SafetyMonitor Monitor { get; }

    /// <inheritdoc />
    public History History { get; } = new();

    /// <inheritdoc />
    public TextWriter? Log { get; }

    /// <inheritdoc />
    public long NowUs => _queue.NowUs;

    /// <inheritdoc />
    public bool WorkloadsStopped { get; private set; }

    /// <summary>Runs to the end (or to the first violation) and reports.</summary>
    public RunResult Run()
    {
        var wall = Stopwatch.StartNew();
        Violation? violation = null;
        try
        {
            Setup();
            while (!_converged && _queue.TryNext(Config.EndUs, out var next))
            {
                SimulatorAssert.That(_queue.Processed <= Config.MaxEvents, "the run exceeded its event budget");
                Trace(next);
                Dispatch(next);
            }

            _current = ("final checks", null);
            violation = FinalChecks();
        }
        catch (ViolationException ex)
        {
            violation = ex.Violation;
        }
        catch (RaftInvariantException ex)
        {
            violation = new Violation("core-invariant", $"{ex.Message} (in {Describe(_current)}) {TopFrames(ex)}", NowUs);
        }
        catch (SimulatorAssertException ex)
        {
            violation = new Violation("simulator-assert", $"{ex.Message} (in {Describe(_current)}) {TopFrames(ex)}", NowUs);
        }
#pragma warning disable CA1031 // Any other exception out of the core or the model is a failure of the run, reported as such.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            violation = new Violation("unexpected-exception", $"{ex.GetType().Name}: {ex.Message} (in {Describe(_current)}) {TopFrames(ex)}", NowUs);
        }

        _trace.Add(violation is null ? 0 : 1);
        CollectStats();
        return new RunResult(Config.Seed, violation, _trace.Finish(), _queue.Processed, _queue.NowUs, wall.Elapsed.TotalSeconds, _faultsInjected, _stats);
    }

    public void Dispose() => _trace.Dispose();

    /// <inheritdoc />
    public void SendRaft(int fromNode, Message message)
    {
        var to = NodeOf(message.To);
        SimulatorAssert.That(to >= 0 && to < _nodes.Length, $"a message to {message.To}, on no node");
        _network.Send(message, fromNode, to);
    }

    /// <inheritdoc />
    public void Reply(ClientReply reply) => _network.SendReply(reply);

    /// <inheritdoc />
    public int NodeOf(NodeId member) => member.IsNone ? -1 : (int)(member.Value % IdStride) - 1;

    /// <inheritdoc />
    public void StartSync(ModelHost host, long syncId)
    {
        var latency = _nodes[host.Node].Disk.NextSyncLatencyUs();
        _queue.Schedule(NowUs + latency, new SyncCompletes(host.Node, host.Group, host.Member, host.Incarnation, syncId));
    }

    /// <inheritdoc />
    public void StartHostSync(int node, long syncId)
    {
        var latency = _nodes[node].Disk.NextSyncLatencyUs();
        _queue.Schedule(NowUs + latency, new SyncCompletes(node, default, default, _nodes[node].Incarnation, syncId));
    }

    /// <inheritdoc />
    public void StartHostSnapshot(int node)
    {
        // Writing a snapshot file and syncing it: a few fsyncs' worth.
        var latency = 2 * _nodes[node].Disk.NextSyncLatencyUs();
        _queue.Schedule(NowUs + latency, new HostSnapshotWritten(node, _nodes[node].Incarnation));
    }

    /// <inheritdoc />
    public void ScheduleEarlyReport(int node, long batchId) => _queue.Schedule(NowUs, new HostEarlyReport(node, _nodes[node].Incarnation, batchId));

    /// <inheritdoc />
    public void Send(ClientRequest request, int node) => _network.SendRequest(request, node);

    /// <inheritdoc />
    public void Schedule(long atUs, SimEvent simEvent) => _queue.Schedule(atUs, simEvent);

    private void Setup()
    {
        if (Config.Engine == SimEngine.Host)
        {
            // Every node runs a replica host, members or not: a joiner may be placed on any of them.
            foreach (var node in _nodes)
            {
                node.Engine = new SimNodeHost(this, node.Index);
            }
        }

        for (var g = 0; g < Config.Groups; g++)
        {
            var group = new GroupId((ulong)g + 1);
            var voters = Enumerable.Range(0, Config.VotersPerGroup).Select(n => MemberId(n, 0)).ToList();
            var configuration = new Configuration(voters);
            foreach (var voter in voters)
            {
                AddHost(NewMember(NodeOf(voter), group, voter, configuration));
            }

            _admins[g] = new GroupAdmin(Config.Nodes);
            for (var c = 0; c < Config.RegisterClients + Config.BankClients; c++)
            {
                _clients.Add(new SimClient(this, _clients.Count, group, bank: c >= Config.RegisterClients, readOnly: c < Config.ReaderClients));
            }
        }

        foreach (var node in _nodes)
        {
            StartNode(node);

            // Spread the first ticks so the nodes' clocks are not in phase.
            _queue.Schedule(1 + (node.Index * 1237 % node.TickIntervalUs), new NodeTicks(node.Index, node.Incarnation));
        }

        foreach (var client in _clients)
        {
            _queue.Schedule(FaultSchedule.WarmupUs / 2 + (client.Id * 397), new ClientWakes(client.Id));
        }

        foreach (var fault in _schedule)
        {
            _queue.Schedule(fault.AtUs, new FaultStarts(fault.Index));
        }

        _queue.Schedule(Config.FaultPhaseUs, new FaultPhaseEnds());
    }

    private static NodeId MemberId(int node, int join) => new(((ulong)join * IdStride) + (ulong)node + 1);

    /// <summary>A new member of a group on a node, run by the configured engine (not started: the node starts it).</summary>
    private ISimMember NewMember(int node, GroupId group, NodeId member, Configuration bootstrap)
    {
        if (Config.Engine == SimEngine.Host)
        {
            return _nodes[node].Engine!.AddMember(group, member, bootstrap);
        }

        return new ModelHost(this, node, group, member, bootstrap);
    }

    /// <summary>Starts every member of a node (from what its disks hold).</summary>
    private void StartNode(SimNode node)
    {
        if (node.Engine is { } engine)
        {
            _current = ("starting the replica host of node " + (node.Index + 1), null);
            engine.Start();
            return;
        }

        foreach (var host in node.Hosts.Cast<ModelHost>().ToArray())
        {
            _current = ("starting", host);
            host.Start();
        }
    }

    private void AddHost(ISimMember host)
    {
        _hosts.Add((host.Group.Value, host.Member.Value), host);
        var list = _nodes[host.Node].Hosts;
        list.Add(host);
        list.Sort(static (a, b) => a.Group.Value != b.Group.Value ? a.Group.Value.CompareTo(b.Group.Value) : a.Member.Value.CompareTo(b.Member.Value));
    }

    private void RemoveHost(ISimMember host)
    {
        if (host is HostedMember hosted)
        {
            _nodes[host.Node].Engine!.Retire(hosted);
        }
        else
        {
            ((ModelHost)host).Retire();
        }

        _hosts.Remove((host.Group.Value, host.Member.Value));
        _nodes[host.Node].Hosts.Remove(host);
    }

    private void Dispatch(SimEvent next)
    {
        switch (next)
        {
            case MessageArrives arrives:
                Deliver(arrives);
                break;
            case RequestArrives { Request: var request, ToNode: var to }:
                DeliverRequest(request, to);
                break;
            case ReplyArrives { Reply: var reply }:
                _current = ("client", reply);
                Log?.WriteLine($"{NowUs} reply {reply}");
                _clients[reply.Client].OnReply(reply);
                break;
            case NodeTicks { Node: var node, Incarnation: var incarnation }:
                Tick(_nodes[node], incarnation);
                break;
            case SyncCompletes sync:
                SyncDone(sync);
                break;
            case HostSnapshotWritten written:
                if (_nodes[written.Node] is { Up: true, Engine: { } writer } writing && writing.Incarnation == written.Incarnation)
                {
                    _current = ("a snapshot written", null);
                    writer.OnSnapshotWritten();
                }

                break;
            case HostEarlyReport early:
                if (_nodes[early.Node] is { Up: true, Engine: { } reporter } reporting && reporting.Incarnation == early.Incarnation)
                {
                    reporter.OnEarlyReport(early.BatchId);
                }

                break;
            case FaultStarts { FaultIndex: var index }:
                StartFault(FaultAt(index));
                break;
            case FaultEnds { FaultIndex: var index, Shot: var shot }:
                EndFault((index, shot));
                break;
            case ArmedFaultFires { FaultIndex: var index, Node: var node, Shot: var shot }:
                FireArmed(FaultAt(index), node, shot);
                break;
            case NodeRestarts { Node: var node, Incarnation: var incarnation }:
                if (!_nodes[node].Up && _nodes[node].Incarnation == incarnation)
                {
                    RestartNode(_nodes[node]);
                }

                break;
            case ClientWakes { Client: var client }:
                _current = ("client", client);
                _clients[client].OnWake();
                break;
            case ClientTimesOut { Client: var client, OpId: var op }:
                _clients[client].OnTimeout(op);
                break;
            case MemberRetires { Group: var group, Member: var member }:
                if (_hosts.TryGetValue((group.Value, member.Value), out var retiring))
                {
                    Log?.WriteLine($"{NowUs} retire {member} of {group}");
                    RemoveHost(retiring);
                }

                break;
            case FaultPhaseEnds:
                EndFaultPhase();
                _queue.Schedule(NowUs + Config.MinQuietUs, new ConvergenceCheck());
                break;
            case ConvergenceCheck:
                _converged = NotConverged() is null;
                if (!_converged)
                {
                    _queue.Schedule(NowUs + Config.ConvergenceCheckUs, new ConvergenceCheck());
                }

                break;
            default:
                throw new SimulatorAssertException($"unknown event {next}");
        }
    }

    private void Deliver(MessageArrives arrives)
    {
        var message = arrives.Message;
        if (!_nodes[arrives.ToNode].Up || _network.IsCut(arrives.FromNode, arrives.ToNode))
        {
            Log?.WriteLine($"{NowUs} lost {message.Group} {message}");
            // The link was cut (or the node went down) while the message was on its way.
            Count("messages lost in flight");
            return;
        }

        if (_hosts.TryGetValue((message.Group.Value, message.To.Value), out var host) && host.Node == arrives.ToNode)
        {
            _current = ("stepping", message);
            Log?.WriteLine($"{NowUs} deliver {message.Group} {message}");
            host.Enqueue(new StepInput(message));
        }
    }

    private void DeliverRequest(ClientRequest request, int to)
    {
        if (!_nodes[to].Up)
        {
            return;
        }

        // The node's live member of that group (the newest, should an old one still be retiring).
        ISimMember? target = null;
        foreach (var host in _nodes[to].Hosts)
        {
            if (host.Group == request.Group && host.Core is not null)
            {
                target = host;
            }
        }

        if (target is null)
        {
            _network.SendReply(new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.NotLeader, -1));
            return;
        }

        _current = ("handling", request);
        Log?.WriteLine($"{NowUs} request at node {to + 1} {request}");
        target.Enqueue(new RequestInput(request));
    }

    private void Tick(SimNode node, long incarnation)
    {
        if (!node.Up || node.Incarnation != incarnation)
        {
            return;
        }

        if (node.Engine is { } engine)
        {
            _current = ("ticking node " + (node.Index + 1), null);
            engine.Tick();
        }
        else
        {
            foreach (var host in node.Hosts.ToArray())
            {
                _current = ("ticking", host);
                host.Enqueue(TickInput.Instance);
            }
        }

        _queue.Schedule(NowUs + node.TickIntervalUs, new NodeTicks(node.Index, node.Incarnation));
    }

    private void SyncDone(SyncCompletes sync)
    {
        var node = _nodes[sync.Node];
        if (node.Engine is { } engine)
        {
            if (!node.Up || node.Incarnation != sync.Incarnation)
            {
                return;
            }

            if (node.Disk.FailNextSync)
            {
                node.Disk.FailNextSync = false;
                Count("fsync errors");
                CrashNode(node, keepSalt: Seeds.Mix((ulong)NowUs), node.DiskErrorDownUs, node.CrashedBy);
                return;
            }

            _current = ("finishing a batch after its fsync on node " + (node.Index + 1), null);
            engine.OnSyncCompleted();
            return;
        }

        if (!node.Up || !_hosts.TryGetValue((sync.Group.Value, sync.Member.Value), out var found) || found is not ModelHost host || host.Incarnation != sync.Incarnation)
        {
            return;
        }

        if (node.Disk.FailNextSync)
        {
            // Fail-stop: an fsync that fails leaves the file in an unknown state; the node stops (torn tail) and restarts later.
            node.Disk.FailNextSync = false;
            Count("fsync errors");
            CrashNode(node, keepSalt: Seeds.Mix((ulong)NowUs), node.DiskErrorDownUs, node.CrashedBy);
            return;
        }

        _current = ("finishing a Ready after its fsync", host);
        host.OnSyncCompleted(sync.SyncId);
    }

    private void Trace(SimEvent next)
    {
        _trace.Add(NowUs);
        switch (next)
        {
            case MessageArrives { Message: var m } arrives:
                _trace.Add(1);
                _trace.Add(((long)arrives.FromNode << 8) | (long)arrives.ToNode);
                _trace.Add(((long)m.Kind << 56) ^ (long)(m.Group.Value << 40) ^ (long)(m.From.Value << 20) ^ (long)m.To.Value);
                _trace.Add(m.Term.Value);
                _trace.Add(m.Index.Value);
                _trace.Add(m.LogTerm.Value);
                _trace.Add(m.Commit.Value);
                _trace.Add(((long)m.Entries.Count << 2) | (m.Reject ? 1L : 0) | (m.SnapshotDone ? 2L : 0));
                _trace.Add(m.SnapshotOffset);
                _trace.Add(m.Context);
                break;
            case RequestArrives { Request: var r, ToNode: var to }:
                _trace.Add(2);
                _trace.Add(((long)r.Client << 40) ^ (r.OpId << 8) ^ r.Attempt);
                _trace.Add(to);
                break;
            case ReplyArrives { Reply: var r }:
                _trace.Add(3);
                _trace.Add(((long)r.Client << 40) ^ (r.OpId << 8) ^ r.Attempt);
                _trace.Add(((long)r.Status << 8) | (uint)(r.LeaderNode + 1));
                break;
            case NodeTicks { Node: var node }:
                _trace.Add(4);
                _trace.Add(node);
                break;
            case SyncCompletes s:
                _trace.Add(5);
                _trace.Add(((long)s.Node << 48) ^ (long)(s.Group.Value << 32) ^ (long)s.Member.Value);
                _trace.Add(s.SyncId);
                break;
            case HostSnapshotWritten w:
                _trace.Add(15);
                _trace.Add(w.Node);
                break;
            case HostEarlyReport e:
                _trace.Add(16);
                _trace.Add(((long)e.Node << 48) ^ e.BatchId);
                break;
            case FaultStarts { FaultIndex: var index }:
                _trace.Add(6);
                _trace.Add(index);
                break;
            case FaultEnds { FaultIndex: var index, Shot: var shot }:
                _trace.Add(7);
                _trace.Add(((long)index << 16) | (long)shot);
                break;
            case NodeRestarts { Node: var node }:
                _trace.Add(8);
                _trace.Add(node);
                break;
            case ArmedFaultFires { FaultIndex: var index, Node: var node, Shot: var shot }:
                _trace.Add(13);
                _trace.Add(((long)index << 24) | ((long)shot << 8) | (long)(node + 1));
                break;
            case ClientWakes { Client: var client }:
                _trace.Add(9);
                _trace.Add(client);
                break;
            case ClientTimesOut { Client: var client, OpId: var op }:
                _trace.Add(10);
                _trace.Add(((long)client << 40) ^ op);
                break;
            case MemberRetires { Group: var group, Member: var member }:
                _trace.Add(11);
                _trace.Add((long)((group.Value << 32) ^ member.Value));
                break;
            case ConvergenceCheck:
                _trace.Add(14);
                break;
            default:
                _trace.Add(12);
                break;
        }
    }

    /// <inheritdoc />
    public void Count(string stat, long by = 1) => _stats[stat] = _stats.GetValueOrDefault(stat) + by;

    private void CollectStats()
    {
        _stats["messages sent"] = _network.MessagesSent;
        _stats["messages dropped"] = _network.MessagesDropped;
        _stats["messages duplicated"] = _network.MessagesDuplicated;
        _stats["leaders elected"] = Monitor.Elections;
        _stats["writes acknowledged"] = Monitor.AcknowledgedWrites;
        _stats["operations completed"] = History.Completed;
        _stats["operations unknown"] = History.Unknown;
        _stats["writes failed"] = History.Failed;
        _stats["redirects"] = History.Redirects;
        _stats["host inputs dropped"] = _hosts.Values.Sum(h => h.InputsDropped);
        foreach (var life in _nodes.SelectMany(n => n.Engine?.Lives ?? []))
        {
            Count("host batches", life.Batches);
            Count("host readys persisted", life.ReadysPersisted);
            Count("host snapshots saved", life.SnapshotsSaved);
            Count("host snapshots installed", life.SnapshotsInstalled);
            Count("host messages dropped", life.MessagesDropped);
        }
    }

    private static string Describe((string What, object? Subject) current) => current.Subject switch
    {
        null => current.What,
        ISimMember host => $"{host.Member} of {host.Group} {current.What}",
        Message message => $"{message.To} of {message.Group} {current.What} {message}",
        _ => $"{current.What} {current.Subject}",
    };

    private static string TopFrames(Exception ex)
    {
        var frames = (ex.StackTrace ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" ", frames.Take(4));
    }
}
