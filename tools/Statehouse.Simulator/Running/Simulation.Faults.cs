using Statehouse.Raft;
using Statehouse.Simulator.Core;
using Statehouse.Simulator.Faults;
using Statehouse.Simulator.Hosts;

namespace Statehouse.Simulator.Running;

internal sealed partial class Simulation
{
    private readonly Dictionary<(int Index, int Shot), ActiveFault> _active = [];
    private readonly List<Fault> _armed = [];
    private readonly Dictionary<int, int> _shots = [];
    private readonly Dictionary<(ulong Group, ulong Member), (Raft.Term Term, int Index, int Shot)> _atFirstCommit = [];
    private Dictionary<int, Fault>? _faultsByIndex;
    private int _faultsInjected;

    private Fault FaultAt(int index)
    {
        _faultsByIndex ??= _schedule.ToDictionary(f => f.Index);
        return _faultsByIndex[index];
    }

    /// <summary>Starts a fault; one that cannot take effect now (its node is down, its group has no leader) does nothing.</summary>
    private void StartFault(Fault fault)
    {
        if (WorkloadsStopped)
        {
            return;
        }

        _current = ("starting a fault", fault);
        Log?.WriteLine($"{NowUs} fault {fault.Describe()}");
        var injected = true;
        switch (fault.Kind)
        {
            case FaultKind.Crash or FaultKind.TornCrash:
                injected = TryCrash(fault.Node, fault, torn: fault.Kind == FaultKind.TornCrash);
                break;
            case FaultKind.CrashLeader:
                injected = LeaderOf(fault.Group) is { } leader && TryCrash(leader.Node, fault, torn: (fault.Salt & 1) == 1);
                break;
            case FaultKind.DiskError when _nodes[fault.Node].Up:
                // Armed: the node's next fsync fails and the node stops (see SyncDone).
                _nodes[fault.Node].Disk.FailNextSync = true;
                _nodes[fault.Node].DiskErrorDownUs = fault.DurationUs;
                _nodes[fault.Node].CrashedBy = fault.Index;
                break;
            case FaultKind.SlowDisk:
                _nodes[fault.Node].Disk.BeginSlow();
                Activate(fault, []);
                break;
            case FaultKind.Isolate:
                Activate(fault, Isolation(fault.Node, outgoing: true, incoming: true));
                break;
            case FaultKind.IsolateLeader:
                if (LeaderOf(fault.Group) is { } isolated)
                {
                    Activate(fault, Isolation(isolated.Node, outgoing: true, incoming: true));
                }
                else
                {
                    injected = false;
                }

                break;
            case FaultKind.OneWayOut:
                Activate(fault, Isolation(fault.Node, outgoing: true, incoming: false));
                break;
            case FaultKind.OneWayIn:
                Activate(fault, Isolation(fault.Node, outgoing: false, incoming: true));
                break;
            case FaultKind.Split:
                Activate(fault, SplitCuts(fault.Salt));
                break;
            case FaultKind.LinkCut:
                var other = (fault.Node + 1 + (int)(fault.Salt % (ulong)(_nodes.Length - 1))) % _nodes.Length;
                Activate(fault, [(fault.Node, other), (other, fault.Node)]);
                break;
            case FaultKind.DuplicateBurst:
                _network.BeginDuplicateBurst();
                Activate(fault, []);
                break;
            case FaultKind.DelaySpike:
                _network.BeginDelaySpike();
                Activate(fault, []);
                break;
            case FaultKind.TransferLeader:
                injected = TryTransfer(fault);
                break;
            case FaultKind.Membership:
                injected = MembershipStep(fault);
                break;
            case FaultKind.IsolateSlowLeader:
                if (LeaderOf(fault.Group) is { Core: { } core } current)
                {
                    var slowest = core.Configuration.Voters.MinBy(v => _nodes[NodeOf(v)].ClockRate);
                    if (slowest != current.Member)
                    {
                        current.Enqueue(new TransferInput(slowest));
                    }

                    _queue.Schedule(NowUs + Fault.SlowLeaderDelayUs(fault.Salt), new ArmedFaultFires(fault.Index, -1));
                }
                else
                {
                    injected = false;
                }

                break;
            case FaultKind.CrashNewLeader or FaultKind.IsolateNewLeader:
                // Armed until its end; counted as injected only if it fires.
                _armed.Add(fault);
                injected = false;
                break;
            default:
                injected = false;
                break;
        }

        if (injected)
        {
            _faultsInjected++;
        }
    }

    private void Activate(Fault fault, List<(int From, int To)> cuts, long? endUs = null, int shot = 0)
    {
        foreach (var (from, to) in cuts)
        {
            _network.Cut(from, to);
        }

        _active[(fault.Index, shot)] = new ActiveFault(fault, cuts);
        _queue.Schedule(endUs ?? fault.EndUs, new FaultEnds(fault.Index, shot));
    }

    /// <inheritdoc />
    public void OnTookOffice(ISimMember host)
    {
        for (var i = 0; i < _armed.Count; i++)
        {
            var fault = _armed[i];
            if (NowUs > fault.EndUs)
            {
                _armed.RemoveAt(i--);
                continue;
            }

            if ((ulong)fault.Group + 1 != host.Group.Value)
            {
                continue;
            }

            // A crash fires once; an isolation fires on every new leader while armed (leader churn, divergent logs).
            var shot = _shots.GetValueOrDefault(fault.Index);
            _shots[fault.Index] = shot + 1;
            if (fault.Kind == FaultKind.CrashNewLeader)
            {
                _armed.RemoveAt(i);
            }

            var salt = Fault.ShotSalt(fault.Salt, shot);
            if (fault.Kind == FaultKind.IsolateNewLeader && Fault.AtFirstCommit(salt))
            {
                _atFirstCommit[(host.Group.Value, host.Member.Value)] = (host.Core!.Term, fault.Index, shot);
                return;
            }

            _queue.Schedule(NowUs + Fault.NewLeaderDelayUs(salt), new ArmedFaultFires(fault.Index, host.Node, shot));
            return;
        }
    }

    /// <inheritdoc />
    public void OnLeaderCommitted(ISimMember host)
    {
        if (_atFirstCommit.Remove((host.Group.Value, host.Member.Value), out var waiting) && host.Core?.Term == waiting.Term)
        {
            _queue.Schedule(NowUs, new ArmedFaultFires(waiting.Index, host.Node, waiting.Shot));
        }
    }

    private void FireArmed(Fault fault, int node, int shot)
    {
        if (fault.Kind == FaultKind.IsolateSlowLeader && !WorkloadsStopped && LeaderOf(fault.Group) is { } leader)
        {
            Log?.WriteLine($"{NowUs} isolating {leader.Member} on node {leader.Node + 1}: {fault.Describe()}");
            Activate(fault, Isolation(leader.Node, outgoing: true, incoming: true), NowUs + fault.DurationUs);
            return;
        }

        if (WorkloadsStopped || node < 0 || !_nodes[node].Up)
        {
            return;
        }

        Log?.WriteLine($"{NowUs} armed fault fires on node {node + 1} (shot {shot}): {fault.Describe()}");
        _faultsInjected++;
        var salt = Fault.ShotSalt(fault.Salt, shot);
        var lastsUs = Fault.DownOrIsolatedUs(salt);
        if (fault.Kind == FaultKind.CrashNewLeader)
        {
            CrashNode(_nodes[node], (salt & 1) == 1 ? salt : 0, lastsUs, fault.Index);
        }
        else
        {
            Activate(fault, Isolation(node, outgoing: true, incoming: true), NowUs + lastsUs, shot);
        }
    }

    private void EndFault((int Index, int Shot) index)
    {
        if (!_active.Remove(index, out var active))
        {
            return;
        }

        foreach (var (from, to) in active.Cuts)
        {
            _network.Restore(from, to);
        }

        switch (active.Fault.Kind)
        {
            case FaultKind.SlowDisk:
                _nodes[active.Fault.Node].Disk.EndSlow();
                break;
            case FaultKind.DuplicateBurst:
                _network.EndDuplicateBurst();
                break;
            case FaultKind.DelaySpike:
                _network.EndDelaySpike();
                break;
        }
    }

    /// <summary>The quiet phase: every fault ends, every node comes back, clients start nothing new.</summary>
    private void EndFaultPhase()
    {
        _current = ("ending the fault phase", null);
        foreach (var index in _active.Keys.Order().ToList())
        {
            EndFault(index);
        }

        SimulatorAssert.That(!_network.AnyCut(), "every cut link is restored");
        _armed.Clear();
        _atFirstCommit.Clear();
        WorkloadsStopped = true;
        foreach (var node in _nodes)
        {
            node.Disk.FailNextSync = false;
            if (!node.Up)
            {
                RestartNode(node);
            }
        }
    }

    private bool TryCrash(int nodeIndex, Fault fault, bool torn)
    {
        var node = _nodes[nodeIndex];
        if (!node.Up)
        {
            return false;
        }

        CrashNode(node, torn ? fault.Salt : 0, fault.DurationUs, fault.Index);
        return true;
    }

    /// <summary>
    /// Stops a node: every member loses what its disks had not synced; with <paramref name="keepSalt"/> ≠ 0 a prefix of
    /// it survives (a torn write), cut where the salt says (per member).
    /// </summary>
    private void CrashNode(SimNode node, ulong keepSalt, long downUs, int crashedBy)
    {
        node.Up = false;
        node.Incarnation++;
        node.CrashedBy = crashedBy;
        Count("crashes");
        if (node.Engine is { } engine)
        {
            var keep = keepSalt == 0 ? 0 : (Seeds.Mix(keepSalt ^ (ulong)node.Index) >> 11) / (double)(1UL << 53);
            Count("unsynced batches lost", engine.Crash(keep));
        }
        else
        {
            foreach (var host in node.Hosts.Cast<ModelHost>())
            {
                var keep = keepSalt == 0 ? 0 : (Seeds.Mix(keepSalt ^ host.Member.Value ^ (host.Group.Value << 32)) >> 11) / (double)(1UL << 53);
                Count("unsynced writes lost", host.Crash(keep));
            }
        }

        var restartAt = WorkloadsStopped ? NowUs + 1 : NowUs + Math.Max(1, downUs);
        _queue.Schedule(restartAt, new NodeRestarts(node.Index, node.Incarnation));
    }

    private void RestartNode(SimNode node)
    {
        node.Up = true;
        node.CrashedBy = -1;
        Count("restarts");
        StartNode(node);

        _queue.Schedule(NowUs + node.TickIntervalUs, new NodeTicks(node.Index, node.Incarnation));
    }

    /// <summary>The member that leads <paramref name="group"/> in the highest term among live members, if any.</summary>
    private ISimMember? LeaderOf(int group)
    {
        ISimMember? leader = null;
        foreach (var host in _hosts.Values)
        {
            if (host.Group.Value == (ulong)group + 1 && host.Core is { Role: RaftRole.Leader } core && (leader is null || core.Term > leader.Core!.Term))
            {
                leader = host;
            }
        }

        return leader;
    }

    private List<(int From, int To)> Isolation(int node, bool outgoing, bool incoming)
    {
        var cuts = new List<(int, int)>();
        for (var other = 0; other < _nodes.Length; other++)
        {
            if (other == node)
            {
                continue;
            }

            if (outgoing)
            {
                cuts.Add((node, other));
            }

            if (incoming)
            {
                cuts.Add((other, node));
            }
        }

        return cuts;
    }

    private List<(int From, int To)> SplitCuts(ulong salt)
    {
        var side = new bool[_nodes.Length];
        for (var i = 0; i < side.Length; i++)
        {
            side[i] = ((salt >> i) & 1) == 1;
        }

        // Both sides non-empty.
        if (side.All(s => s) || side.All(s => !s))
        {
            side[0] = !side[0];
        }

        var cuts = new List<(int, int)>();
        for (var a = 0; a < side.Length; a++)
        {
            for (var b = 0; b < side.Length; b++)
            {
                if (side[a] != side[b])
                {
                    cuts.Add((a, b));
                }
            }
        }

        return cuts;
    }

    private bool TryTransfer(Fault fault)
    {
        if (LeaderOf(fault.Group) is not { Core: { } core } leader)
        {
            return false;
        }

        var voters = core.Configuration.Voters.Where(v => v != leader.Member).ToList();
        if (voters.Count == 0)
        {
            return false;
        }

        // In the lease mix the target is the voter with the slowest clock: its voters time out soonest against its lease.
        var target = Config.Mix == FaultMix.Leases
            ? voters.MinBy(v => _nodes[NodeOf(v)].ClockRate)
            : voters[(int)(fault.Salt % (ulong)voters.Count)];
        leader.Enqueue(new TransferInput(target));
        return true;
    }

    private sealed record ActiveFault(Fault Fault, List<(int From, int To)> Cuts);
}
