using static Statehouse.Raft.Tests.Rules.Rig;

namespace Statehouse.Raft.Tests.Rules;

/// <summary>InstallSnapshot (§5.1), in chunks. Section numbers are those of Ongaro's thesis.</summary>
public sealed class SnapshotRuleTests
{
    private static readonly SnapshotMeta Snapshot = new(new LogIndex(5), new Term(1), Voters(1, 2, 3), 6, 99);

    private static Message Chunk(Rig rig, long offset, string data, bool last) =>
        rig.Msg(MessageKind.Snapshot, 1, 1) with
        {
            Snapshot = Snapshot,
            SnapshotOffset = offset,
            SnapshotData = System.Text.Encoding.UTF8.GetBytes(data),
            SnapshotDone = last,
        };

    // §5.1 receiver rules 7-8: a complete snapshot replaces the log; the host installs it before anything applies.
    [Fact]
    public void Snapshot_ReplacesTheLog_WhenItsLastChunkArrives()
    {
        var rig = new Rig(2, storage: StorageWith(Voters(1, 2, 3), 1, 1, 1));
        rig.Step(Chunk(rig, 0, "abc", last: false));
        var first = rig.Flush()!;
        Assert.Null(first.SnapshotToInstall);
        Assert.Equal(3, Assert.Single(first.MessagesAfterPersist).SnapshotOffset);

        rig.Step(Chunk(rig, 3, "def", last: true));
        var ready = rig.Flush()!;
        Assert.Equal(Snapshot, ready.SnapshotToInstall);
        Assert.Empty(ready.CommittedEntries);
        var done = Assert.Single(ready.MessagesAfterPersist);
        Assert.True(done.SnapshotDone);
        Assert.Equal(new LogIndex(5), rig.Node.CommitIndex);
        Assert.Equal(new LogIndex(5), rig.Node.LastIndex);
        Assert.Equal("abcdef"u8.ToArray(), rig.Storage.LatestSnapshot!.Value.Data);
    }

    // §5.1 receiver rule 6: a snapshot of what the follower already holds keeps the log; it is answered as done.
    [Fact]
    public void Snapshot_KeepsTheLog_WhenTheFollowerHoldsItsLastEntry()
    {
        var rig = new Rig(2, storage: StorageWith(Voters(1, 2, 3), 1, 1, 1, 1, 1, 1, 1));
        rig.Step(Chunk(rig, 0, "abc", last: false));
        var ready = rig.Flush()!;

        Assert.Null(ready.SnapshotToInstall);
        Assert.True(Assert.Single(ready.MessagesAfterPersist).SnapshotDone);
        Assert.Equal(new LogIndex(6), rig.Node.LastIndex);
        Assert.Equal(new LogIndex(5), rig.Node.CommitIndex);
    }

    // Idempotent transfer: a duplicate chunk is acknowledged with the bytes held and never appended again; a gap is
    // refused with the bytes held so the leader resumes from there.
    [Fact]
    public void Snapshot_AcknowledgesADuplicateChunk_AndRefusesAGap()
    {
        var rig = new Rig(2);
        rig.Step(Chunk(rig, 0, "abc", last: false));
        rig.Flush();
        rig.Step(Chunk(rig, 0, "abc", last: false));
        var duplicate = rig.Flush()!;
        Assert.Empty(duplicate.SnapshotChunks);
        Assert.Equal(3, Assert.Single(duplicate.MessagesAfterPersist).SnapshotOffset);

        rig.Step(Chunk(rig, 5, "f", last: true));
        var gap = Assert.Single(rig.Flush()!.Messages);
        Assert.True(gap.Reject);
        Assert.Equal(3, gap.SnapshotOffset);

        var buggy = new Rig(2, planted: PlantedBug.SnapshotChunkAppliedTwice);
        buggy.Step(Chunk(buggy, 0, "abc", last: false));
        buggy.Flush();
        buggy.Step(Chunk(buggy, 0, "abc", last: false));
        Assert.Single(buggy.Flush()!.SnapshotChunks);
    }

    // §5.1: the leader sends a snapshot when the entries a follower needs were compacted, in chunks within a window.
    [Fact]
    public void Leader_StreamsItsSnapshotInChunks_WhenTheFollowerNeedsCompactedEntries()
    {
        var rig = new Rig(1, storage: StorageWith(Voters(1, 2, 3), 1, 1, 1), configure: o => o with { SnapshotChunkBytes = 2, MaxInflightSnapshotChunks = 2 });
        rig.Elect();
        rig.Flush();
        rig.Step(rig.Msg(MessageKind.AppendResponse, 3, 2) with { Index = new LogIndex(3) });
        rig.Flush();
        rig.Storage.Compact(new SnapshotMeta(new LogIndex(3), new Term(2), Voters(1, 2, 3), 5, 0), "abcde"u8.ToArray());

        rig.Step(rig.Msg(MessageKind.AppendResponse, 2, 2) with { Index = new LogIndex(2), Reject = true });
        var chunks = rig.Flush()!.Messages.Where(m => m.Kind == MessageKind.Snapshot).ToList();

        Assert.Equal([0L, 2L], chunks.Select(c => c.SnapshotOffset));
        Assert.All(chunks, c => Assert.Equal(2, c.SnapshotData.Length));
    }
}
