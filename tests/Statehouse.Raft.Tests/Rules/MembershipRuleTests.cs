using static Statehouse.Raft.Tests.Rules.Rig;

namespace Statehouse.Raft.Tests.Rules;

/// <summary>Membership changes (§4). Section numbers are those of Ongaro's thesis.</summary>
public sealed class MembershipRuleTests
{
    private static ConfigChange Change(ConfigChangeKind kind, ulong node) => new(kind, N(node), default);

    private static Entry ConfigEntry(ulong index, ulong term, ConfigChangeKind kind, ulong node) =>
        new(new LogIndex(index), new Term(term), EntryKind.ConfigChange, Change(kind, node).Encode());

    // §4.1: a member uses the latest configuration in its log as soon as the entry is appended, committed or not.
    [Fact]
    public void Configuration_TakesEffect_WhenTheEntryIsAppended()
    {
        var rig = new Rig(2);
        rig.Step(rig.Msg(MessageKind.Append, 1, 1) with { Entries = [ConfigEntry(1, 1, ConfigChangeKind.AddLearner, 4)] });

        Assert.Equal(LogIndex.Zero, rig.Node.CommitIndex);
        Assert.True(rig.Node.Configuration.IsLearner(N(4)));
    }

    // §4.1: when an uncommitted configuration entry is truncated, the member goes back to the one before it.
    [Fact]
    public void Configuration_Reverts_WhenItsUncommittedEntryIsTruncated()
    {
        var rig = new Rig(2);
        rig.Step(rig.Msg(MessageKind.Append, 1, 1) with { Entries = [ConfigEntry(1, 1, ConfigChangeKind.Remove, 3)] });
        rig.Flush();
        Assert.False(rig.Node.Configuration.IsVoter(N(3)));

        rig.Step(rig.Msg(MessageKind.Append, 3, 2) with { Entries = [new Entry(new LogIndex(1), new Term(2), EntryKind.Empty, default)] });

        Assert.Equal(Voters(1, 2, 3), rig.Node.Configuration);
    }

    // §4.1: one change at a time — the next is refused until the previous one is committed.
    [Fact]
    public void ProposeConfigChange_IsRefused_WhileThePreviousChangeIsUncommitted()
    {
        var rig = new Rig();
        rig.ElectAndCommit();
        Assert.True(rig.Node.ProposeConfigChange(Change(ConfigChangeKind.AddLearner, 4)).Accepted);

        var second = rig.Node.ProposeConfigChange(Change(ConfigChangeKind.Remove, 3));
        Assert.Equal(ProposeStatus.ConfigChangeRefused, second.Status);

        rig.AckAll();
        Assert.True(rig.Node.ProposeConfigChange(Change(ConfigChangeKind.Remove, 3)).Accepted);
    }

    // §4.1 (single-server change bug, Ongaro 2015): no change before the leader has committed an entry of its term.
    [Fact]
    public void ProposeConfigChange_IsRefused_BeforeTheLeaderCommitsInItsTerm()
    {
        var rig = new Rig();
        rig.Elect();

        Assert.Equal(ProposeStatus.ConfigChangeRefused, rig.Node.ProposeConfigChange(Change(ConfigChangeKind.AddLearner, 4)).Status);
        rig.AckAll();
        Assert.True(rig.Node.ProposeConfigChange(Change(ConfigChangeKind.AddLearner, 4)).Accepted);
    }

    // §4.2.1: a learner is promoted only once it has caught up (within PromotionLagEntries).
    [Fact]
    public void Promote_IsRefused_WhileTheLearnerIsBehind()
    {
        var rig = new Rig(configure: o => o with { PromotionLagEntries = 1 });
        rig.ElectAndCommit();
        rig.Node.ProposeConfigChange(Change(ConfigChangeKind.AddLearner, 4));
        rig.Node.Propose(new byte[] { 1 });
        rig.Flush();
        rig.Step(rig.Msg(MessageKind.AppendResponse, 2, 1) with { Index = rig.Node.LastIndex });
        rig.Flush();

        Assert.Equal(ProposeStatus.ConfigChangeRefused, rig.Node.ProposeConfigChange(Change(ConfigChangeKind.PromoteLearner, 4)).Status);
        rig.Step(rig.Msg(MessageKind.AppendResponse, 4, 1) with { Index = rig.Node.LastIndex });
        rig.Flush();
        Assert.True(rig.Node.ProposeConfigChange(Change(ConfigChangeKind.PromoteLearner, 4)).Accepted);
    }

    // §4.2.2: a leader that removes itself leads until the change commits, not counting itself, then steps down.
    [Fact]
    public void Leader_StepsDown_OnlyWhenItsOwnRemovalCommits_WithoutCountingItself()
    {
        var rig = new Rig();
        rig.ElectAndCommit();
        var removal = rig.Node.ProposeConfigChange(Change(ConfigChangeKind.Remove, 1));
        rig.Flush();
        Assert.Equal(RaftRole.Leader, rig.Node.Role);

        // The leader holds the entry, and n2 too: a majority of the old voters, but not of the new [n2 n3].
        rig.Step(rig.Msg(MessageKind.AppendResponse, 2, 1) with { Index = removal.Index });
        Assert.Equal(RaftRole.Leader, rig.Node.Role);
        Assert.True(rig.Node.CommitIndex < removal.Index);

        rig.Step(rig.Msg(MessageKind.AppendResponse, 3, 1) with { Index = removal.Index });
        Assert.Equal(removal.Index, rig.Node.CommitIndex);
        Assert.Equal(RaftRole.Follower, rig.Node.Role);

        // And it has nothing more to do once its host handled the step-down (core fix of membership_remove.txt).
        rig.Flush();
        Assert.False(rig.Node.HasReady);
        Assert.False(rig.Node.Campaign());
    }

    // §4.1: a member that joins with no configuration cannot apply a change to the bootstrap membership (it is not in
    // the log), so it takes the membership the entry says it results in, and takes the log from index 1 like any
    // follower: it needs no snapshot (the leader may never take one; simulator seeds 11405 and 204449).
    [Fact]
    public void Joiner_TakesTheLogFromIndexOne_AndTheMembershipEachEntryCarries()
    {
        var joiner = new Rig(4, Configuration.Empty);
        var result = new Configuration([N(1), N(2), N(3)], [N(4)]);
        var entry = new Entry(new LogIndex(1), new Term(1), EntryKind.ConfigChange, Change(ConfigChangeKind.AddLearner, 4).Encode(result));
        joiner.Step(joiner.Msg(MessageKind.Append, 1, 1) with { Entries = [entry] });
        var answer = Assert.Single(joiner.Flush()!.MessagesAfterPersist);

        Assert.False(answer.Reject);
        Assert.Equal(new LogIndex(1), answer.Index);
        Assert.Equal(result, joiner.Node.Configuration);
    }

    // An entry without its result (format 1) cannot be replayed by such a member: it stops rather than guess.
    [Fact]
    public void Joiner_Stops_WhenAnEntryDoesNotCarryItsResult()
    {
        var joiner = new Rig(4, Configuration.Empty);

        Assert.Throws<RaftInvariantException>(() =>
            joiner.Step(joiner.Msg(MessageKind.Append, 1, 1) with { Entries = [ConfigEntry(1, 1, ConfigChangeKind.AddLearner, 4)] }));
    }
}
