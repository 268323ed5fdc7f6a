using Statehouse.Raft;
using Statehouse.Simulator.Core;
using Statehouse.Simulator.Workloads;

namespace Statehouse.Simulator.Hosts;

internal sealed partial class ModelHost
{
    private readonly Dictionary<ulong, PendingWrite> _pendingWrites = [];
    private readonly Dictionary<ulong, ClientRequest> _pendingReads = [];
    private readonly List<(LogIndex Index, ClientRequest Request)> _waitingReads = [];
    private ulong _nextReadId;

    /// <summary>Proposes a write (the request pipeline: propose, remember the index, answer when applied) or asks for a read index.</summary>
    private void HandleRequest(ClientRequest request)
    {
        var core = Core!;
        if (!request.IsWrite)
        {
            var id = ++_nextReadId;
            _pendingReads[id] = request;
            core.ReadIndex(id);
            return;
        }

        var result = core.Propose(request.ToCommand().Encode());
        switch (result.Status)
        {
            case ProposeStatus.Accepted:
                // An older proposal of ours at this index was overwritten and never answered: its client times out.
                _pendingWrites[result.Index.Value] = new PendingWrite(request, result.Term);
                break;
            case ProposeStatus.Busy:
                _world.Reply(new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.Busy, Node));
                break;
            case ProposeStatus.NotLeader or ProposeStatus.TransferInProgress:
                _world.Reply(new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.NotLeader, _world.NodeOf(result.Leader)));
                break;
            default:
                throw new SimulatorAssertException($"a command proposal answered {result.Status}");
        }
    }

    /// <summary>Answers a write when the entry at its index is applied: ours (same term) succeeded, another's means it never took effect.</summary>
    private void AnswerWrite(PendingWrite pending, Entry entry, Command? command, bool took)
    {
        var request = pending.Request;
        if (entry.Term != pending.Term)
        {
            _world.Reply(new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.Failed, _world.NodeOf(Core?.Leader ?? NodeId.None)));
            return;
        }

        SimulatorAssert.That(command is not null && command.Client == request.Client && command.OpId == request.OpId, "the entry at a proposal's index and term is that proposal");
        _world.Monitor.ObserveAcknowledged(Group, entry.Index, entry.Term);
        _world.Reply(new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.Ok, Node, Swapped: took));
    }

    private void ReadConfirmed(ReadState read)
    {
        if (_pendingReads.Remove(read.RequestId, out var request))
        {
            _waitingReads.Add((read.Index, request));
        }
    }

    private void ReadFailed(FailedRead read)
    {
        if (_pendingReads.Remove(read.RequestId, out var request))
        {
            _world.Reply(new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.NotLeader, _world.NodeOf(read.Leader)));
        }
    }

    /// <summary>Serves every confirmed read whose index the state machine has reached (ReadIndex, thesis §6.4 step 4).</summary>
    private void ServeWaitingReads()
    {
        var kept = 0;
        for (var i = 0; i < _waitingReads.Count; i++)
        {
            var (index, request) = _waitingReads[i];
            if (index > _applied)
            {
                _waitingReads[kept++] = _waitingReads[i];
                continue;
            }

            _world.Reply(request.Kind == ClientOpKind.ReadBalances
                ? new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.Ok, Node, Balances: _machine.Balances())
                : new ClientReply(request.Client, request.OpId, request.Attempt, ReplyStatus.Ok, Node, ReadValue: _machine.Read(request.Key)));
        }

        _waitingReads.RemoveRange(kept, _waitingReads.Count - kept);
    }

    private readonly record struct PendingWrite(ClientRequest Request, Term Term);
}
