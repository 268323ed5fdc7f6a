namespace Statehouse.Raft;

public sealed partial class RaftNode
{
    /// <summary>Starts an election now, e.g. on a single-member group at startup (after a pre-vote if enabled).</summary>
    /// <returns>False when this member may not campaign (not a voter, or already leader).</returns>
    public bool Campaign()
    {
        AssertNotInReady();
        if (!Promotable || Role == RaftRole.Leader)
        {
            return false;
        }

        Campaign(preVote: _options.PreVote, transfer: false);
        return true;
    }

    private void Campaign(bool preVote, bool transfer)
    {
        Invariant.Assert(Promotable, "only a voter campaigns");
        Term campaignTerm;
        MessageKind kind;
        if (preVote)
        {
            // §9.6: ask first whether we could win, without touching anyone's term.
            Role = RaftRole.PreCandidate;
            Leader = NodeId.None;
            ResetRoleState();
            campaignTerm = Term.Next;
            kind = MessageKind.PreVote;
        }
        else
        {
            // §3.4: a new term, a vote for ourselves, and a request to every voter.
            Term = Term.Next;
            VotedFor = Id;
            Role = RaftRole.Candidate;
            Leader = NodeId.None;
            ResetRoleState();
            campaignTerm = Term;
            kind = MessageKind.Vote;
            FailForwardedReads();
        }

        _votes[Id] = true;
        if (TallyVotes() == VoteOutcome.Won)
        {
            Won(preVote);
            return;
        }

        foreach (var voter in _log.Configuration.Voters)
        {
            if (voter == Id)
            {
                continue;
            }

            var request = NewMessage(kind, voter) with
            {
                Term = campaignTerm,
                Index = _log.LastIndex,
                LogTerm = _log.LastTerm,
                LeaderTransfer = transfer,
            };

            // Our own vote must be durable before anyone can count on this candidacy (§3.8).
            if (preVote)
            {
                Send(request);
            }
            else
            {
                SendAfterPersist(request);
            }
        }
    }

    private void HandleVoteRequest(Message m)
    {
        // §3.4 and §3.6.1: one vote per term, and only for a candidate whose log is at least as up to date.
        // A pre-vote is granted on the same rules as if the term had moved, with nothing recorded (§9.6).
        var canVote = VotedFor == m.From
            || (VotedFor.IsNone && Leader.IsNone)
            || (m.Kind == MessageKind.PreVote && m.Term > Term);
        var responseKind = m.Kind == MessageKind.Vote ? MessageKind.VoteResponse : MessageKind.PreVoteResponse;
        if (canVote && _log.IsUpToDate(m.Index, m.LogTerm))
        {
            // The response carries the candidate's term, so a granted pre-vote is counted for that future term.
            var grant = Reply(m, responseKind) with { Term = m.Term };
            if (m.Kind == MessageKind.Vote)
            {
                // Persist the vote before answering (§3.8); reset the timer so we do not compete with it.
                _electionElapsed = 0;
                VotedFor = m.From;
                SendAfterPersist(grant);
            }
            else
            {
                Send(grant);
            }
        }
        else
        {
            var reject = Reply(m, responseKind) with { Reject = true };
            if (m.Kind == MessageKind.Vote)
            {
                SendAfterPersist(reject);
            }
            else
            {
                Send(reject);
            }
        }
    }

    private void HandleVoteResponse(Message m)
    {
        // A granted pre-vote must be for the term we would campaign in (a stale one from an older round is not).
        if (Role == RaftRole.PreCandidate && !m.Reject && m.Term != Term.Next)
        {
            return;
        }

        if (!_log.Configuration.IsVoter(m.From))
        {
            return;
        }

        _votes.TryAdd(m.From, !m.Reject);
        switch (TallyVotes())
        {
            case VoteOutcome.Won:
                Won(Role == RaftRole.PreCandidate);
                break;
            case VoteOutcome.Lost:
                BecomeFollower(Term, NodeId.None);
                break;
        }
    }

    private void Won(bool preVote)
    {
        if (preVote)
        {
            Campaign(preVote: false, transfer: false);
        }
        else
        {
            BecomeLeader();
        }
    }

    private VoteOutcome TallyVotes()
    {
        var configuration = _log.Configuration;
        int granted = 0, rejected = 0;
        foreach (var voter in configuration.Voters)
        {
            if (_votes.TryGetValue(voter, out var vote))
            {
                if (vote)
                {
                    granted++;
                }
                else
                {
                    rejected++;
                }
            }
        }

        if (granted >= configuration.QuorumSize)
        {
            return VoteOutcome.Won;
        }

        return configuration.Voters.Count - rejected < configuration.QuorumSize ? VoteOutcome.Lost : VoteOutcome.Pending;
    }

    private void BecomeLeader()
    {
        Invariant.Assert(Role == RaftRole.Candidate, "only a candidate becomes leader");
        Role = RaftRole.Leader;
        Leader = Id;
        ResetRoleState();
        _leaseDisabledInTerm = false;
        _roundTicks.Clear();
        foreach (var member in _log.Configuration.Members)
        {
            AddProgress(member);
        }

        // §6.4 / §5.4.2: a new leader commits an empty entry of its own term; only then does it know which entries
        // are committed, may serve reads and change membership.
        AppendAsLeader([new Entry(LogIndex.Zero, Term, EntryKind.Empty, ReadOnlyMemory<byte>.Empty)]);
        _appendsPending = true;
    }

    private void AddProgress(NodeId member)
    {
        var progress = new Progress(_options.MaxInflightAppends, _options.MaxInflightBytes)
        {
            Next = _log.LastIndex.Next,
            RecentActive = member == Id,
        };
        if (member == Id)
        {
            // The leader's own durable log: what is not unstable.
            progress.Match = _log.UnstableEntries.Count > 0 ? _log.UnstableEntries[0].Index.Previous : _log.LastIndex;
        }

        _progress[member] = progress;
    }

    private enum VoteOutcome
    {
        Pending,
        Won,
        Lost,
    }
}
