namespace Statehouse.Raft.Tests.Regressions;

/// <summary>
/// Found by the simulator (seed 1001381, 3 nodes, 2 groups, faults #0-#3, a host that feeds several messages per
/// Ready): a follower completed one snapshot and, before its host took the Ready, accepted the first chunk of a newer
/// one; the Ready then asked to start a new staging area (dropping the first snapshot's data) and to install the first.
/// </summary>
public sealed class SnapshotWhileInstallPendingTests
{
    [Fact]
    public void NewerSnapshotChunk_WaitsUntilThePendingInstallIsDone()
    {
        var voters = new Configuration([new NodeId(1), new NodeId(2), new NodeId(3)]);
        var storage = new MemoryRaftStorage(voters);
        var follower = new RaftNode(new RaftOptions { Id = new NodeId(2), Group = new GroupId(1) }, storage, new Random(1));
        var first = new SnapshotMeta(new LogIndex(10), new Term(1), voters, 4, 1);
        var newer = new SnapshotMeta(new LogIndex(20), new Term(1), voters, 8, 2);
        follower.Step(Chunk(first, 0, [1, 2, 3, 4], done: true));
        follower.Step(Chunk(newer, 0, [5, 6, 7, 8], done: false));

        var ready = follower.GetReady();
        var installed = storage.Apply(ready);
        follower.Advance(ready);

        Assert.Equal(first, ready.SnapshotToInstall);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, installed);
        Assert.Equal(new LogIndex(10), follower.CommitIndex);
    }

    private static Message Chunk(SnapshotMeta snapshot, long offset, byte[] data, bool done) => new()
    {
        Kind = MessageKind.Snapshot,
        Group = new GroupId(1),
        From = new NodeId(1),
        To = new NodeId(2),
        Term = new Term(1),
        Snapshot = snapshot,
        SnapshotOffset = offset,
        SnapshotData = data,
        SnapshotDone = done,
    };
}
