using System.Text;
using static Statehouse.Raft.Tests.Rules.Rig;

namespace Statehouse.Raft.Tests.Rules;

/// <summary>Log replication and commitment. Section numbers are those of Ongaro's thesis.</summary>
public sealed class ReplicationRuleTests
{
    private static Entry E(ulong index, ulong term) => new(new LogIndex(index), new Term(term), EntryKind.Command, new byte[] { (byte)index });

    // §3.5: AppendEntries is refused when the log has no entry at prevLogIndex with prevLogTerm.
    [Fact]
    public void Append_IsRejected_WhenThePreviousEntryTermDiffers()
    {
        var rig = new Rig(2, storage: StorageWith(Voters(1, 2, 3), 2, 1, 1));
        rig.Step(rig.Msg(MessageKind.Append, 1, 2) with { Index = new LogIndex(2), LogTerm = new Term(2), Entries = [E(3, 2)] });

        var answer = Assert.Single(rig.Flush()!.Messages);
        Assert.True(answer.Reject);
        Assert.Equal(new LogIndex(2), rig.Node.LastIndex);
    }

    // The planted bug that skips the term check accepts the same append: the test bites.
    [Fact]
    public void Append_IsAccepted_WhenTheTermCheckIsSkipped_PlantedBug()
    {
        var rig = new Rig(2, storage: StorageWith(Voters(1, 2, 3), 2, 1, 1), planted: PlantedBug.AcceptMismatchedPrevTerm);
        rig.Step(rig.Msg(MessageKind.Append, 1, 2) with { Index = new LogIndex(2), LogTerm = new Term(2), Entries = [E(3, 2)] });

        Assert.Equal(new LogIndex(3), rig.Node.LastIndex);
    }

    // §3.5: a conflicting entry and all after it are replaced; the commit index moves only over entries the message
    // vouched for (not the follower's own stale suffix).
    [Fact]
    public void Append_ReplacesAConflictingSuffix_AndCommitsOnlyWhatItCarried()
    {
        var rig = new Rig(2, storage: StorageWith(Voters(1, 2, 3), 2, 1, 1, 1, 1));
        rig.Step(rig.Msg(MessageKind.Append, 1, 2) with { Index = new LogIndex(1), LogTerm = new Term(1), Entries = [E(2, 2)], Commit = new LogIndex(4) });
        var ready = rig.Flush()!;

        Assert.Equal(new LogIndex(2), rig.Node.LastIndex);
        Assert.Equal(new Term(2), rig.Node.LastTerm);
        Assert.Equal(new LogIndex(2), rig.Node.CommitIndex);
        Assert.Equal(new LogIndex(2), Assert.Single(ready.MessagesAfterPersist).Index);
    }

    // §3.5 / §5.4.1 optimisation: the rejection names the follower's last entry at or below the probe whose term is
    // at most the leader's term there, so the leader skips a whole term in one round trip.
    [Fact]
    public void Append_RejectionHint_SkipsTheFollowersConflictingTerm()
    {
        var rig = new Rig(2, storage: StorageWith(Voters(1, 2, 3), 3, 1, 2, 2, 2));
        rig.Step(rig.Msg(MessageKind.Append, 1, 3) with { Index = new LogIndex(6), LogTerm = new Term(3) });

        var answer = Assert.Single(rig.Flush()!.Messages);
        Assert.True(answer.Reject);
        Assert.Equal(new LogIndex(4), answer.RejectHint);
        Assert.Equal(new Term(2), answer.LogTerm);
    }

    // §3.8: a follower acknowledges appended entries only after they are durable.
    [Fact]
    public void AppendAck_GoesInMessagesAfterPersist_WithTheEntriesToSync()
    {
        var rig = new Rig(2);
        rig.Step(rig.Msg(MessageKind.Append, 1, 1) with { Entries = [E(1, 1)] });
        var ready = rig.Flush()!;

        Assert.True(ready.MustSync);
        Assert.Single(ready.Entries);
        Assert.Empty(ready.Messages);
        Assert.Equal(MessageKind.AppendResponse, Assert.Single(ready.MessagesAfterPersist).Kind);

        var buggy = new Rig(2, planted: PlantedBug.AckBeforePersist);
        buggy.Step(buggy.Msg(MessageKind.Append, 1, 1) with { Entries = [E(1, 1)] });
        Assert.Equal(MessageKind.AppendResponse, Assert.Single(buggy.Flush()!.Messages).Kind);
    }

    // §10.2.1: the leader sends its new entries in the same Ready that asks to persist them (before it persists),
    // but counts itself towards commitment only once its host has persisted them (Advance).
    [Fact]
    public void Leader_SendsBeforePersisting_ButCountsItselfOnlyAfter()
    {
        var rig = new Rig();
        rig.ElectAndCommit();
        var result = rig.Node.Propose(Encoding.UTF8.GetBytes("x"));
        var ready = rig.Node.GetReady();
        Assert.Contains(ready.Entries, e => e.Index == result.Index);
        Assert.Contains(ready.Messages, m => m.Kind == MessageKind.Append && m.Entries.Any(e => e.Index == result.Index));
        Assert.DoesNotContain(ready.MessagesAfterPersist, m => m.Kind == MessageKind.Append);
        rig.Storage.Apply(ready);
        rig.Node.Advance(ready);

        var single = new Rig(1, Voters(1));
        single.Node.Campaign();
        single.FlushAll();
        var before = single.Node.CommitIndex;
        var proposed = single.Node.Propose(Encoding.UTF8.GetBytes("y"));
        var pending = single.Node.GetReady();
        Assert.Equal(before, single.Node.CommitIndex);
        single.Storage.Apply(pending);
        single.Node.Advance(pending);
        Assert.Equal(proposed.Index, single.Node.CommitIndex);
    }

    // §3.6.2 (Figure 3.7): an entry of an earlier term is not committed by counting replicas; it commits only with
    // an entry of the current term after it.
    [Fact]
    public void Commit_WaitsForACurrentTermEntry_WhenAnEarlierTermEntryIsOnAMajority()
    {
        var rig = new Rig(1, storage: StorageWith(Voters(1, 2, 3), 1, 1, 1));
        rig.Elect();
        rig.Flush();
        Assert.Equal(new Term(2), rig.Node.Term);

        rig.Step(rig.Msg(MessageKind.AppendResponse, 2, 2) with { Index = new LogIndex(2) });
        Assert.Equal(LogIndex.Zero, rig.Node.CommitIndex);

        rig.Step(rig.Msg(MessageKind.AppendResponse, 2, 2) with { Index = new LogIndex(3) });
        Assert.Equal(new LogIndex(3), rig.Node.CommitIndex);
    }

    [Fact]
    public void Commit_CountsReplicasOfAnEarlierTerm_PlantedBug()
    {
        var rig = new Rig(1, storage: StorageWith(Voters(1, 2, 3), 1, 1, 1), planted: PlantedBug.CommitPreviousTermByCount);
        rig.Elect();
        rig.Flush();
        rig.Step(rig.Msg(MessageKind.AppendResponse, 2, 2) with { Index = new LogIndex(2) });

        Assert.Equal(new LogIndex(2), rig.Node.CommitIndex);
    }

    // A heartbeat never carries a commit index beyond what the follower is known to hold (it may lack those entries
    // or hold different ones, as in transcript log_divergence.txt).
    [Fact]
    public void Heartbeat_CarriesAtMostTheFollowersMatch()
    {
        var rig = new Rig();
        rig.ElectAndCommit();
        rig.Node.Propose(new byte[] { 1 });
        rig.Flush();
        rig.Step(rig.Msg(MessageKind.AppendResponse, 2, 1) with { Index = rig.Node.LastIndex });
        rig.Flush();
        rig.Node.Tick();

        var heartbeats = rig.Flush()!.Messages.Where(m => m.Kind == MessageKind.Heartbeat).ToDictionary(m => m.To.Value);
        Assert.Equal(new LogIndex(2), heartbeats[2].Commit);
        Assert.Equal(new LogIndex(1), heartbeats[3].Commit);
    }

    // A probe answered at the match the leader already knows moves the follower back to streaming (core fix of
    // transcript snapshot.txt): after a snapshot, the next proposal goes out without waiting for a heartbeat.
    [Fact]
    public void Probe_ResumesStreaming_WhenAnsweredAtTheKnownMatch()
    {
        var rig = new Rig(1, storage: StorageWith(Voters(1, 2, 3), 1, 1, 1));
        rig.Elect();
        rig.Flush();
        rig.Step(rig.Msg(MessageKind.AppendResponse, 3, 2) with { Index = new LogIndex(3) });
        rig.Flush();
        rig.Storage.Compact(new SnapshotMeta(new LogIndex(3), new Term(2), Voters(1, 2, 3), 1, 0), [7]);
        var snapshot = rig.Storage.Snapshot!;

        // n2 lacks the log the leader compacted: it gets the snapshot, installs it, then answers the probe after it.
        rig.Step(rig.Msg(MessageKind.AppendResponse, 2, 2) with { Index = new LogIndex(2), Reject = true });
        Assert.Contains(rig.Flush()!.Messages, m => m.Kind == MessageKind.Snapshot);
        rig.Step(rig.Msg(MessageKind.SnapshotResponse, 2, 2) with { Snapshot = snapshot, Index = snapshot.Index, SnapshotOffset = 1, SnapshotDone = true });
        Assert.Contains(rig.Flush()!.Messages, m => m.Kind == MessageKind.Append && m.To == N(2) && m.Index == snapshot.Index);
        rig.Step(rig.Msg(MessageKind.AppendResponse, 2, 2) with { Index = snapshot.Index });
        rig.Flush();

        rig.Node.Propose(new byte[] { 9 });
        Assert.Contains(rig.Flush()!.Messages, m => m.To == N(2) && m.Kind == MessageKind.Append && m.Entries.Count == 1);
    }
}
