using static Statehouse.Raft.Tests.Rules.Rig;

namespace Statehouse.Raft.Tests.Rules;

/// <summary>Terms, votes and elections. Section numbers are those of Ongaro's thesis.</summary>
public sealed class ElectionRuleTests
{
    // §3.3: a server that sees a higher term adopts it and, if leader or candidate, becomes a follower.
    [Fact]
    public void Step_AdoptsTermAndStepsDown_WhenAMessageCarriesAHigherTerm()
    {
        var rig = new Rig();
        rig.ElectAndCommit();

        rig.Step(rig.Msg(MessageKind.AppendResponse, 2, 5) with { Index = LogIndex.Zero });

        Assert.Equal(RaftRole.Follower, rig.Node.Role);
        Assert.Equal(new Term(5), rig.Node.Term);
        Assert.True(rig.Node.VotedFor.IsNone);
        Assert.Equal(new HardState(new Term(5), NodeId.None, rig.Node.CommitIndex), rig.Flush()!.HardState);
    }

    // §3.3: a request with a stale term is rejected; the sender learns the newer term from the answer.
    [Fact]
    public void Step_RejectsAppend_WhenItsTermIsStale()
    {
        var rig = new Rig(2, storage: StorageWith(Voters(1, 2, 3), 3));

        rig.Step(rig.Msg(MessageKind.Append, 1, 2) with { Entries = [new Entry(new LogIndex(1), new Term(2), EntryKind.Empty, default)] });

        Assert.Equal(LogIndex.Zero, rig.Node.LastIndex);
        var answer = Assert.Single(rig.Flush()!.Messages);
        Assert.Equal(new Term(3), answer.Term);
    }

    // Figure 3.1: a vote request with a stale term is refused with our term, so the candidate catches up. Found by the
    // simulator (seed 57187, 3 nodes, 2 groups): a member holding an uncommitted removal of the other live voter never
    // sent to it, and the other's requests, at a lower term, went unanswered; neither could ever win.
    [Fact]
    public void Step_RefusesVote_WithItsTerm_WhenTheRequestIsStale()
    {
        var rig = new Rig(2, storage: StorageWith(Voters(1, 2, 3), 5));

        rig.Step(rig.Msg(MessageKind.Vote, 3, 3) with { Index = new LogIndex(10), LogTerm = new Term(3) });

        var answer = Assert.Single(rig.Flush()!.Messages);
        Assert.Equal(MessageKind.VoteResponse, answer.Kind);
        Assert.True(answer.Reject);
        Assert.Equal(new Term(5), answer.Term);
        Assert.Equal(new Term(5), rig.Node.Term);
        Assert.True(rig.Node.VotedFor.IsNone);
    }

    // §3.4: at most one vote per term, kept across a restart (it is part of the persisted hard state, §3.8).
    [Fact]
    public void Vote_IsGrantedToOneCandidatePerTerm_EvenAcrossARestart()
    {
        var rig = new Rig();
        rig.Step(rig.Msg(MessageKind.Vote, 2, 1));
        var first = Assert.Single(rig.Flush()!.MessagesAfterPersist);
        rig.Restart();
        rig.Step(rig.Msg(MessageKind.Vote, 3, 1));
        var second = Assert.Single(rig.Flush()!.MessagesAfterPersist);

        Assert.False(first.Reject);
        Assert.True(second.Reject);
        Assert.Equal(new NodeId(2), rig.Node.VotedFor);
    }

    // The planted bug that forgets the vote on restart makes the same sequence vote twice: the test bites.
    [Fact]
    public void Vote_IsGrantedTwice_WhenTheVoteIsNotPersisted_PlantedBug()
    {
        var rig = new Rig(planted: PlantedBug.VoteNotPersisted);
        rig.Step(rig.Msg(MessageKind.Vote, 2, 1));
        rig.Flush();
        rig.Restart();
        rig.Step(rig.Msg(MessageKind.Vote, 3, 1));

        Assert.False(Assert.Single(rig.Flush()!.MessagesAfterPersist).Reject);
    }

    // §3.4: election timeouts are drawn at random from [ElectionTicks, 2 × ElectionTicks), so split votes resolve.
    [Fact]
    public void Tick_Campaigns_AfterARandomizedTimeoutWithinOneToTwoElectionTimeouts()
    {
        var timeouts = new HashSet<int>();
        for (var seed = 0; seed < 20; seed++)
        {
            var node = new RaftNode(new RaftOptions { Id = N(1), Group = Group, PreVote = false }, new MemoryRaftStorage(Voters(1, 2, 3)), new Random(seed));
            var ticks = 0;
            while (node.Role == RaftRole.Follower)
            {
                node.Tick();
                ticks++;
            }

            Assert.InRange(ticks, 10, 19);
            timeouts.Add(ticks);
        }

        Assert.True(timeouts.Count > 3, $"only {timeouts.Count} distinct timeouts in 20 seeds");
    }

    // §3.6.1: a vote goes only to a candidate whose log is at least as up to date (last term, then length).
    [Theory]
    [InlineData(2UL, 1UL, false)] // candidate's last term is older
    [InlineData(3UL, 2UL, false)] // same last term, shorter log
    [InlineData(3UL, 3UL, true)]  // same last term, same length
    [InlineData(4UL, 1UL, true)]  // newer last term, shorter log
    public void Vote_FollowsTheElectionRestriction(ulong candidateLastTerm, ulong candidateLastIndex, bool granted)
    {
        var rig = new Rig(2, storage: StorageWith(Voters(1, 2, 3), 3, 1, 2, 3));
        rig.Step(rig.Msg(MessageKind.Vote, 1, 4) with { LogTerm = new Term(candidateLastTerm), Index = new LogIndex(candidateLastIndex) });

        Assert.Equal(granted, !Assert.Single(rig.Flush()!.MessagesAfterPersist).Reject);
    }

    // §3.8: the candidate's own vote and a voter's grant are durable before anyone can count on them.
    [Fact]
    public void Votes_GoInMessagesAfterPersist_WithTheVoteInTheHardStateToSync()
    {
        var candidate = new Rig();
        candidate.Node.Campaign();
        var ready = candidate.Flush()!;
        Assert.Empty(ready.Messages);
        Assert.Equal(2, ready.MessagesAfterPersist.Count(m => m.Kind == MessageKind.Vote));
        Assert.Equal(new NodeId(1), ready.HardState!.Value.VotedFor);
        Assert.True(ready.MustSync);

        var voter = new Rig(2);
        voter.Step(voter.Msg(MessageKind.Vote, 1, 1));
        var answer = voter.Flush()!;
        Assert.Empty(answer.Messages);
        Assert.Equal(MessageKind.VoteResponse, Assert.Single(answer.MessagesAfterPersist).Kind);
        Assert.Equal(new NodeId(1), answer.HardState!.Value.VotedFor);
        Assert.True(answer.MustSync);
    }

    // §4.2.3: within the minimum election timeout of hearing from a leader, a higher-term vote request is ignored:
    // no term change, no answer, so a removed or partitioned server cannot depose the leader.
    [Fact]
    public void Vote_IsIgnored_WhenTheLeaderWasHeardWithinTheElectionTimeout()
    {
        var rig = new Rig(2, configure: o => o with { CheckQuorum = true });
        rig.Step(rig.Msg(MessageKind.Heartbeat, 1, 1));
        rig.Flush();

        rig.Step(rig.Msg(MessageKind.Vote, 3, 2));

        Assert.Equal(new Term(1), rig.Node.Term);
        Assert.Equal(new NodeId(1), rig.Node.Leader);
        Assert.Null(rig.Flush());
    }

    // §3.10 with §4.2.3: a vote request sent because the leader handed over is not ignored.
    [Fact]
    public void Vote_IsGranted_WhenTheRequestSaysTheLeaderHandedOver()
    {
        var rig = new Rig(2, configure: o => o with { CheckQuorum = true });
        rig.Step(rig.Msg(MessageKind.Heartbeat, 1, 1));
        rig.Flush();

        rig.Step(rig.Msg(MessageKind.Vote, 3, 2) with { LeaderTransfer = true });

        Assert.Equal(new Term(2), rig.Node.Term);
        Assert.False(Assert.Single(rig.Flush()!.MessagesAfterPersist).Reject);
    }

    // §9.6: a pre-vote changes nobody's term or vote; the pre-candidate keeps its term until it wins the pre-vote.
    [Fact]
    public void PreVote_ChangesNoTerm_OnEitherSide()
    {
        var candidate = new Rig(configure: o => o with { PreVote = true });
        candidate.Node.Campaign();
        var request = Assert.Single(candidate.Flush()!.Messages, m => m.To == N(2));
        Assert.Equal(RaftRole.PreCandidate, candidate.Node.Role);
        Assert.Equal(Term.Zero, candidate.Node.Term);
        Assert.Equal(MessageKind.PreVote, request.Kind);
        Assert.Equal(new Term(1), request.Term);

        var voter = new Rig(2, configure: o => o with { PreVote = true });
        voter.Step(request);
        var answer = voter.Flush()!;
        Assert.Equal(Term.Zero, voter.Node.Term);
        Assert.True(voter.Node.VotedFor.IsNone);
        Assert.Null(answer.HardState);
        Assert.False(Assert.Single(answer.Messages).Reject);
    }

    // §9.6: a pre-vote is granted only if the voter has not heard from a leader for an election timeout, whether or
    // not check-quorum is on (the core fix of transcript prevote_without_checkquorum.txt).
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PreVote_IsNotGranted_WhenTheLeaderWasHeardRecently(bool checkQuorum)
    {
        var rig = new Rig(2, configure: o => o with { PreVote = true, CheckQuorum = checkQuorum });
        rig.Step(rig.Msg(MessageKind.Heartbeat, 1, 1));
        rig.Flush();

        rig.Step(rig.Msg(MessageKind.PreVote, 3, 2));
        Assert.Null(rig.Flush());

        for (var i = 0; i < 10; i++)
        {
            rig.Node.Tick();
        }

        rig.Flush();
        rig.Step(rig.Msg(MessageKind.PreVote, 3, 2));
        Assert.Contains(rig.Flush()!.Messages, m => m.Kind == MessageKind.PreVoteResponse && !m.Reject);
    }

    // §6.2: a leader that heard from no majority during an election timeout steps down; one that did stays.
    [Fact]
    public void Tick_StepsTheLeaderDown_WhenNoQuorumAnsweredForAnElectionTimeout()
    {
        var rig = new Rig(configure: o => o with { CheckQuorum = true });
        rig.ElectAndCommit();
        for (var i = 0; i < 10; i++)
        {
            rig.Step(rig.Msg(MessageKind.HeartbeatResponse, 2, rig.Node.Term.Value) with { Index = rig.Node.LastIndex });
            rig.Node.Tick();
        }

        Assert.Equal(RaftRole.Leader, rig.Node.Role);
        for (var i = 0; i < 10; i++)
        {
            rig.Node.Tick();
        }

        Assert.Equal(RaftRole.Follower, rig.Node.Role);
        Assert.Equal(new Term(1), rig.Node.Term);
    }
}
