using Statehouse.Raft;
using Statehouse.Replication;
using Statehouse.Simulator.Core;
using Statehouse.Simulator.Workloads;

namespace Statehouse.Simulator.Hosts;

/// <summary>
/// One group's state machine inside a node's replica host, for one life of the node: the registers and accounts
/// (<see cref="GroupStateMachine"/>), the client requests it answers, and the safety observations of what it applies.
/// </summary>
internal sealed class SimGroupMachine(IHostWorld world, HostedMember member) : IGroupStateMachine
{
    private readonly Dictionary<ulong, (ClientRequest Request, Term Term)> _pendingWrites = [];
    private readonly Dictionary<ulong, ClientRequest> _pendingReads = [];
    private GroupStateMachine _machine = GroupStateMachine.Initial(world.Config.Accounts, world.Config.InitialBalance);
    private ulong _nextReadId;
    private Term _lastLedTerm;

    public LogIndex Applied { get; private set; }

    /// <summary>The term in which the member took office and whose log is still to be checked once durable.</summary>
    public Term? TookOfficeIn { get; set; }

    /// <summary>Proposes a write (answered when its index is applied) or asks for a read index.</summary>
    public void HandleRequest(ReplicaHost host, ClientRequest request)
    {
        if (!request.IsWrite)
        {
            var id = ++_nextReadId;
            _pendingReads[id] = request;
            host.ReadIndex(member.Group, id);
            return;
        }

        host.Propose(member.Group, request.ToCommand().Encode(), result =>
        {
            switch (result.Status)
            {
                case ProposeStatus.Accepted:
                    _pendingWrites[result.Index.Value] = (request, result.Term);
                    break;
                case ProposeStatus.Busy:
                    world.Reply(new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.Busy, member.Node));
                    break;
                case ProposeStatus.NotLeader or ProposeStatus.TransferInProgress:
                    world.Reply(new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.NotLeader, world.NodeOf(result.Leader)));
                    break;
                default:
                    throw new SimulatorAssertException($"a command proposal answered {result.Status}");
            }
        });
    }

    public void Apply(Entry entry)
    {
        SimulatorAssert.That(entry.Index == Applied.Next, $"{member.Member} of {member.Group} applies {entry.Index} after {Applied}");
        world.Monitor.ObserveApplied(member.Group, member.Member, entry, ModelHost.HashEntry(entry));
        var took = false;
        Command? command = null;
        if (entry.Kind == EntryKind.Command)
        {
            command = Command.Decode(entry.Data.Span);
            took = _machine.Apply(command);
        }

        Applied = entry.Index;
        world.OnApplied(member, entry);
        if (_pendingWrites.Remove(entry.Index.Value, out var pending))
        {
            var request = pending.Request;
            if (entry.Term != pending.Term)
            {
                world.Reply(new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.Failed, world.NodeOf(member.Core?.Leader ?? NodeId.None)));
                return;
            }

            SimulatorAssert.That(command is not null && command.Client == request.Client && command.OpId == request.OpId, "the entry at a proposal's index and term is that proposal");
            world.Monitor.ObserveAcknowledged(member.Group, entry.Index, entry.Term);
            world.Reply(new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.Ok, member.Node, Swapped: took));
        }
    }

    public void Restore(SnapshotMeta snapshot, Stream data)
    {
        using var buffer = new MemoryStream();
        data.CopyTo(buffer);
        SimulatorAssert.That(world.Monitor.TryGetChain(member.Group, snapshot.Index, snapshot.Term, out _), "a snapshot's last entry was stored by some member");
        world.Monitor.ObserveSnapshot(member.Group, member.Member, snapshot);
        _machine = GroupStateMachine.Deserialize(buffer.ToArray());
        Applied = snapshot.Index;

        // Writes proposed here below the snapshot can no longer be told apart: their clients time out.
        foreach (var index in _pendingWrites.Keys.Where(i => i <= snapshot.Index.Value).ToList())
        {
            _pendingWrites.Remove(index);
        }
    }

    public IStateCapture Capture() => new Frozen(_machine.Serialize());

    public void OnRoleChanged(NodeId leader, RaftRole role)
    {
        if (role != RaftRole.Leader || member.Core is not { } core)
        {
            return;
        }

        world.Monitor.ObserveLeader(member.Group, core.Term, member.Member);
        if (core.Term != _lastLedTerm)
        {
            _lastLedTerm = core.Term;
            TookOfficeIn = core.Term;
            world.OnTookOffice(member);
        }
    }

    public void OnReadReady(ulong requestId)
    {
        if (_pendingReads.Remove(requestId, out var request))
        {
            world.Reply(request.Kind == ClientOpKind.ReadBalances
                ? new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.Ok, member.Node, Balances: _machine.Balances())
                : new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.Ok, member.Node, ReadValue: _machine.Read(request.Key)));
        }
    }

    public void OnReadFailed(ulong requestId, NodeId leader)
    {
        if (_pendingReads.Remove(requestId, out var request))
        {
            world.Reply(new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.NotLeader, world.NodeOf(leader)));
        }
    }

    private sealed class Frozen(byte[] data) : IStateCapture
    {
        public void WriteTo(Stream destination) => destination.Write(data);
    }
}
