namespace Statehouse.Raft;

public sealed partial class RaftNode
{
    private readonly Queue<PendingRead> _pendingReads = new();
    private readonly Queue<(ulong Requester, NodeId From)> _readsAwaitingTermCommit = new();
    private readonly Queue<(ulong Round, long Tick)> _roundTicks = new();
    private readonly HashSet<ulong> _forwardedReads = [];
    private ulong _round;
    private bool _readRoundOpen;
    private bool _leaseDisabledInTerm;

    /// <summary>
    /// Asks for a linearizable read point (§6.4). The answer comes in a later <see cref="Ready"/>: a
    /// <see cref="ReadState"/> (serve once applied up to its index) or a <see cref="FailedRead"/>. A follower forwards
    /// the request to its leader.
    /// </summary>
    /// <param name="requestId">The host's id for the read, echoed in the answer.</param>
    public void ReadIndex(ulong requestId)
    {
        AssertNotInReady();
        if (Role == RaftRole.Leader)
        {
            HandleReadRequest(requestId, Id);
            return;
        }

        if (Leader.IsNone)
        {
            _failedReads.Add(new FailedRead(requestId, NodeId.None));
            return;
        }

        _forwardedReads.Add(requestId);
        Send(NewMessage(MessageKind.ReadIndex, Leader) with { Context = requestId });
    }

    private void HandleReadRequest(ulong requestId, NodeId from)
    {
        // §6.4 step 1: until the leader has committed an entry of its term it does not know the commit index.
        if (!CommittedInCurrentTerm)
        {
            _readsAwaitingTermCommit.Enqueue((requestId, from));
            return;
        }

        var index = _log.Committed;
        if (LeaseHolds())
        {
            // §6.4.1: within its lease no other leader can exist, so no round trip is needed.
            AnswerRead(requestId, from, index);
            return;
        }

        // §6.4 steps 2–3: confirm leadership with a heartbeat round a quorum acknowledges. Reads that arrive before
        // the round goes out share it.
        if (!_readRoundOpen)
        {
            BroadcastHeartbeat();
            _readRoundOpen = true;
        }

        _pendingReads.Enqueue(new PendingRead(requestId, from, index, _round));
        ReleaseConfirmedReads();
    }

    private bool CommittedInCurrentTerm => _log.TryGetTerm(_log.Committed, out var term) && term == Term;

    private void BroadcastHeartbeat()
    {
        _round++;
        _roundTicks.Enqueue((_round, _tick));
        while (_roundTicks.Count > 4 * _options.ElectionTicks)
        {
            _roundTicks.Dequeue();
        }

        foreach (var member in _log.Configuration.Members)
        {
            if (member == Id || !_progress.TryGetValue(member, out var progress))
            {
                continue;
            }

            Send(NewMessage(MessageKind.Heartbeat, member) with
            {
                // Never a commit beyond what the follower is known to hold (it may lack those entries).
                Commit = LogIndex.Min(progress.Match, _log.Committed),
                Context = _round,
            });
        }

        if (_progress.TryGetValue(Id, out var self))
        {
            self.AckedRound = _round;
        }
    }

    /// <summary>The highest round a quorum of voters has acknowledged in this term (0 if none).</summary>
    private ulong QuorumAckedRound()
    {
        var configuration = _log.Configuration;
        Span<ulong> rounds = stackalloc ulong[configuration.Voters.Count];
        var count = 0;
        foreach (var voter in configuration.Voters)
        {
            rounds[count++] = voter == Id ? _round : _progress.TryGetValue(voter, out var progress) ? progress.AckedRound : 0;
        }

        rounds.Sort();
        return rounds[count - configuration.QuorumSize];
    }

    private void ReleaseConfirmedReads()
    {
        if (_pendingReads.Count == 0)
        {
            return;
        }

        var confirmed = QuorumAckedRound();
        while (_pendingReads.Count > 0 && _pendingReads.Peek().Round <= confirmed)
        {
            var read = _pendingReads.Dequeue();
            AnswerRead(read.RequestId, read.From, read.Index);
        }
    }

    private bool LeaseHolds()
    {
        if (_options.LeaseReads is not { } lease || _leaseDisabledInTerm || !_leadTransferee.IsNone)
        {
            return false;
        }

        var confirmed = QuorumAckedRound();
        if (confirmed == 0)
        {
            return false;
        }

        long sentAt = -1;
        foreach (var (round, tick) in _roundTicks)
        {
            if (round == confirmed)
            {
                sentAt = tick;
                break;
            }
        }

        if (sentAt < 0)
        {
            return false;
        }

        var leaseTicks = IsPlanted(PlantedBug.LeaseWithoutDriftBound)
            ? _options.ElectionTicks
            : RaftOptions.LeaseTicks(lease, _options.ElectionTicks);
        return _tick - sentAt < leaseTicks;
    }

    private void AnswerRead(ulong requestId, NodeId from, LogIndex index)
    {
        if (from == Id)
        {
            _readStates.Add(new ReadState(requestId, index));
        }
        else
        {
            Send(NewMessage(MessageKind.ReadIndexResponse, from) with { Context = requestId, Index = index });
        }
    }

    private void HandleReadIndexResponse(Message m)
    {
        if (!_forwardedReads.Remove(m.Context))
        {
            return;
        }

        if (m.Reject)
        {
            _failedReads.Add(new FailedRead(m.Context, Leader));
        }
        else
        {
            _readStates.Add(new ReadState(m.Context, m.Index));
        }
    }

    /// <summary>Once the term's first entry commits, the reads held back for it go ahead.</summary>
    private void ReleaseReadsAwaitingTermCommit()
    {
        // Only the reads held now: one that is held again (the commit did not reach this term) is not retried here,
        // or this loop would never end.
        for (var held = _readsAwaitingTermCommit.Count; held > 0; held--)
        {
            var (requestId, from) = _readsAwaitingTermCommit.Dequeue();
            HandleReadRequest(requestId, from);
        }
    }

    private void FailPendingReads()
    {
        foreach (var read in _pendingReads)
        {
            FailRead(read.RequestId, read.From);
        }

        foreach (var (requestId, from) in _readsAwaitingTermCommit)
        {
            FailRead(requestId, from);
        }

        _pendingReads.Clear();
        _readsAwaitingTermCommit.Clear();
    }

    private void FailRead(ulong requestId, NodeId from)
    {
        if (from == Id)
        {
            _failedReads.Add(new FailedRead(requestId, NodeId.None));
        }
        else
        {
            Send(NewMessage(MessageKind.ReadIndexResponse, from) with { Context = requestId, Reject = true });
        }
    }

    private void FailForwardedReads()
    {
        foreach (var requestId in _forwardedReads.Order())
        {
            _failedReads.Add(new FailedRead(requestId, Leader));
        }

        _forwardedReads.Clear();
    }

    private readonly record struct PendingRead(ulong RequestId, NodeId From, LogIndex Index, ulong Round);
}
