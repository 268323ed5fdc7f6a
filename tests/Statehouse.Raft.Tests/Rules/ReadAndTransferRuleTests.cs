using static Statehouse.Raft.Tests.Rules.Rig;

namespace Statehouse.Raft.Tests.Rules;

/// <summary>Linearizable reads (§6.4, §6.4.1) and leadership transfer (§3.10).</summary>
public sealed class ReadAndTransferRuleTests
{
    private static Func<RaftOptions, RaftOptions> Lease(double drift = 0.1) => o => o with { CheckQuorum = true, LeaseReads = new LeaseReadOptions(drift) };

    private static ulong HeartbeatRound(Ready ready) => ready.Messages.First(m => m.Kind == MessageKind.Heartbeat).Context;

    // §6.4 step 1: a new leader serves no read until it has committed an entry of its term.
    [Fact]
    public void ReadIndex_Waits_UntilTheLeaderCommitsInItsTerm()
    {
        var rig = new Rig();
        rig.Elect();
        rig.Node.ReadIndex(7);
        var ready = rig.Flush()!;
        Assert.DoesNotContain(ready.Messages, m => m.Kind == MessageKind.Heartbeat);

        rig.Step(rig.Msg(MessageKind.AppendResponse, 2, 1) with { Index = new LogIndex(1) });
        var round = HeartbeatRound(rig.Flush()!);
        rig.Step(rig.Msg(MessageKind.HeartbeatResponse, 2, 1) with { Context = round, Index = new LogIndex(1) });

        Assert.Equal(new ReadState(7, new LogIndex(1)), Assert.Single(rig.Flush()!.ReadStates));
    }

    // §6.4 steps 2-3: the read index is the commit index when the read arrived, released once a majority
    // acknowledged a heartbeat round sent after it; an answer to an older round does not count.
    [Fact]
    public void ReadIndex_IsReleased_OnlyByARoundSentAfterTheRead()
    {
        var rig = new Rig();
        rig.ElectAndCommit();
        rig.Node.Tick();
        var oldRound = HeartbeatRound(rig.Flush()!);
        rig.Node.ReadIndex(8);
        var round = HeartbeatRound(rig.Flush()!);
        Assert.True(round > oldRound);

        rig.Step(rig.Msg(MessageKind.HeartbeatResponse, 2, 1) with { Context = oldRound, Index = rig.Node.LastIndex });
        Assert.Null(rig.Flush());
        rig.Step(rig.Msg(MessageKind.HeartbeatResponse, 3, 1) with { Context = round, Index = rig.Node.LastIndex });
        Assert.Equal(8UL, Assert.Single(rig.Flush()!.ReadStates).RequestId);
    }

    // §6.4: a leader that loses leadership fails its pending reads; a follower forwards reads to its leader.
    [Fact]
    public void ReadIndex_Fails_WhenTheLeaderStepsDown_AndIsForwardedByAFollower()
    {
        var rig = new Rig();
        rig.ElectAndCommit();
        rig.Node.ReadIndex(9);
        rig.Flush();
        rig.Step(rig.Msg(MessageKind.Append, 2, 5));
        Assert.Equal(9UL, Assert.Single(rig.Flush()!.FailedReads).RequestId);

        rig.Node.ReadIndex(10);
        var forwarded = Assert.Single(rig.Flush()!.Messages, m => m.Kind == MessageKind.ReadIndex);
        Assert.Equal(N(2), forwarded.To);
        rig.Step(rig.Msg(MessageKind.ReadIndexResponse, 2, 5) with { Context = 10, Index = new LogIndex(4) });
        Assert.Equal(new ReadState(10, new LogIndex(4)), Assert.Single(rig.Flush()!.ReadStates));
    }

    // §6.4.1: the lease is the election timeout shrunk by the drift bound, less two ticks of granularity.
    [Theory]
    [InlineData(10, 0.1, 7)]
    [InlineData(10, 0.5, 4)]
    [InlineData(20, 0.05, 17)]
    public void LeaseTicks_ShrinksTheElectionTimeoutByTheDriftBound(int electionTicks, double drift, int expected) =>
        Assert.Equal(expected, RaftOptions.LeaseTicks(new LeaseReadOptions(drift), electionTicks));

    // §6.4.1: within the lease a read needs no round; once the lease from the last acknowledged round ran out, it
    // does. The planted bug that trusts the whole election timeout still serves it: the test bites.
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void LeaseRead_IsServedWithoutARound_OnlyWithinTheDriftBoundedLease(bool plantLeaseWithoutDriftBound, bool servedAfterSevenTicks)
    {
        var planted = plantLeaseWithoutDriftBound ? PlantedBug.LeaseWithoutDriftBound : PlantedBug.None;
        var rig = new Rig(configure: Lease(), planted: planted);
        rig.ElectAndCommit();
        rig.Node.Tick();
        var round = HeartbeatRound(rig.Flush()!);
        rig.Step(rig.Msg(MessageKind.HeartbeatResponse, 2, 1) with { Context = round, Index = rig.Node.LastIndex });
        rig.Flush();

        rig.Node.ReadIndex(1);
        var within = rig.Flush()!;
        Assert.Single(within.ReadStates);
        Assert.DoesNotContain(within.Messages, m => m.Kind == MessageKind.Heartbeat);

        for (var i = 0; i < 7; i++)
        {
            rig.Node.Tick();
        }

        rig.Flush();
        rig.Node.ReadIndex(2);
        Assert.Equal(servedAfterSevenTicks, rig.Flush()!.ReadStates.Count == 1);
    }

    // §6.4.1: a voter that restarts has forgotten that it heard from the leader; if it voted at once, a new leader
    // could be elected while the old one still serves lease reads. With leases on it ignores candidates for an
    // election timeout after it starts, as if it had just heard from a leader.
    [Fact]
    public void RestartedVoter_IgnoresCandidates_ForAnElectionTimeout_WhenLeasesAreOn()
    {
        var rig = new Rig(id: 2, configure: Lease());
        rig.Step(rig.Msg(MessageKind.Heartbeat, 1, 1));
        rig.FlushAll();
        rig.Restart();

        rig.Step(rig.Msg(MessageKind.Vote, 3, 2) with { Index = LogIndex.Zero, LogTerm = Term.Zero });
        var ignored = rig.FlushAll();
        Assert.DoesNotContain(ignored.AfterPersist.Concat(ignored.Now), m => m.Kind == MessageKind.VoteResponse);
        Assert.Equal(new Term(1), rig.Node.Term);

        for (var i = 0; i < 10; i++)
        {
            rig.Node.Tick();
        }

        rig.FlushAll();
        rig.Step(rig.Msg(MessageKind.Vote, 3, 2) with { Index = LogIndex.Zero, LogTerm = Term.Zero });
        Assert.Contains(rig.FlushAll().AfterPersist, m => m.Kind == MessageKind.VoteResponse && !m.Reject);
    }

    // §6.4.1 with §3.10: the transfer target is elected ignoring leases, so no lease read once a transfer started.
    [Fact]
    public void LeaseRead_IsNotServed_DuringATransfer()
    {
        var rig = new Rig(configure: Lease());
        rig.ElectAndCommit();
        rig.Node.Tick();
        var round = HeartbeatRound(rig.Flush()!);
        rig.Step(rig.Msg(MessageKind.HeartbeatResponse, 2, 1) with { Context = round, Index = rig.Node.LastIndex });
        rig.Flush();

        Assert.Null(rig.Node.TransferLeadership(N(3)));
        rig.Node.ReadIndex(3);

        Assert.Empty(rig.Flush()!.ReadStates);
    }

    // §3.10: the leader refuses proposals during a transfer, sends TimeoutNow only once the target has caught up,
    // and abandons the transfer after an election timeout.
    [Fact]
    public void Transfer_CatchesTheTargetUpFirst_RefusesProposals_AndIsAbandonedAfterAnElectionTimeout()
    {
        var rig = new Rig();
        rig.ElectAndCommit();
        rig.Node.Propose(new byte[] { 1 });
        rig.Flush();
        rig.Step(rig.Msg(MessageKind.AppendResponse, 2, 1) with { Index = rig.Node.LastIndex });
        rig.Flush();

        Assert.Null(rig.Node.TransferLeadership(N(3)));
        Assert.Equal(ProposeStatus.TransferInProgress, rig.Node.Propose(new byte[] { 2 }).Status);
        Assert.DoesNotContain(rig.FlushAll().Now, m => m.Kind == MessageKind.TimeoutNow);

        rig.Step(rig.Msg(MessageKind.AppendResponse, 3, 1) with { Index = rig.Node.LastIndex });
        Assert.Contains(rig.FlushAll().Now, m => m.Kind == MessageKind.TimeoutNow && m.To == N(3));

        for (var i = 0; i < 10; i++)
        {
            rig.Step(rig.Msg(MessageKind.HeartbeatResponse, 2, 1) with { Index = rig.Node.LastIndex });
            rig.Node.Tick();
        }

        Assert.Equal(RaftRole.Leader, rig.Node.Role);
        Assert.True(rig.Node.Propose(new byte[] { 3 }).Accepted);
    }

    // §3.10: TimeoutNow makes the target campaign at once, without pre-vote, flagged as a transfer.
    [Fact]
    public void TimeoutNow_StartsAnElectionAtOnce_FlaggedAsATransfer()
    {
        var rig = new Rig(2, configure: o => o with { PreVote = true });
        rig.Step(rig.Msg(MessageKind.Heartbeat, 1, 1));
        rig.Flush();
        rig.Step(rig.Msg(MessageKind.TimeoutNow, 1, 1));

        Assert.Equal(RaftRole.Candidate, rig.Node.Role);
        var votes = rig.Flush()!.MessagesAfterPersist.Where(m => m.Kind == MessageKind.Vote).ToList();
        Assert.Equal(2, votes.Count);
        Assert.All(votes, v => Assert.True(v.LeaderTransfer));
    }
}
