using System.Text;
using Statehouse.Raft;

namespace Statehouse.Replication.Tests;

public sealed class ReplicaHostTests
{
    private static void AssertSameCommands(HostCluster cluster, GroupId group, IReadOnlyList<string> expected)
    {
        foreach (var node in cluster.Nodes.Where(n => n.Up))
        {
            Assert.Equal(expected, node.Machines[group].Commands);
        }
    }

    [Theory]
    [InlineData(TestStoreKind.Memory)]
    [InlineData(TestStoreKind.File)]
    public void ManyGroups_OnThreeNodes_ElectReplicateAndApplyInOrder_SharingBatches(TestStoreKind kind)
    {
        var cluster = new HostCluster(3, 24, store: kind);
        cluster.ElectAll();
        foreach (var group in cluster.Groups)
        {
            for (var i = 0; i < 5; i++)
            {
                Assert.True(cluster.Propose(group, $"{group}-{i}").Accepted);
            }
        }

        cluster.RunUntil(() => cluster.Groups.All(g => cluster.Nodes.All(n => n.Machines[g].Commands.Count == 5)), "every command applied everywhere");
        foreach (var group in cluster.Groups)
        {
            AssertSameCommands(cluster, group, [.. Enumerable.Range(0, 5).Select(i => $"{group}-{i}")]);
        }

        // Group commit across groups: one batch (one sync) carries the Readys of many groups.
        foreach (var node in cluster.Nodes)
        {
            var stats = node.Host.Statistics;
            Assert.True(stats.ReadysPersisted > 2 * stats.Batches, $"{node.Id}: {stats.ReadysPersisted} Readys in {stats.Batches} batches");
            if (kind == TestStoreKind.Memory)
            {
                Assert.True(node.MemoryStore.Syncs <= stats.Batches);
            }

            // One transport send per round, however many groups had messages.
            Assert.True(stats.MessagesSent > 2 * stats.Sends, $"{node.Id}: {stats.MessagesSent} messages in {stats.Sends} sends");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void VotesAndAcknowledgements_GoOutOnlyOnceTheBatchHoldingTheirWritesIsDurable(bool planted)
    {
        var cluster = new HostCluster(3, 4, bugs: planted ? HostPlantedBug.SendBeforeDurable : HostPlantedBug.None);
        var checkedMessages = 0;
        var broken = new List<string>();
        cluster.OnSend = (from, to, messages) =>
        {
            foreach (var message in messages)
            {
                // What a vote or an acknowledgement promises must already be in the sender's published (durable) view.
                var stored = from.Store.Log.Find(message.Group.Value);
                if (message.Kind == MessageKind.VoteResponse && !message.Reject)
                {
                    checkedMessages++;
                    if (stored is null || stored.Term != message.Term.Value || stored.Vote != message.To.Value)
                    {
                        broken.Add($"{from.Id} voted for {message.To} in {message.Term} with durable term {stored?.Term} vote {stored?.Vote}");
                    }
                }

                if (message.Kind == MessageKind.AppendResponse && !message.Reject)
                {
                    checkedMessages++;
                    if (stored is null || stored.LastIndex < message.Index.Value)
                    {
                        broken.Add($"{from.Id} acknowledged {message.Index} with {stored?.LastIndex} durable");
                    }
                }
            }
        };

        cluster.ElectAll();
        foreach (var group in cluster.Groups)
        {
            cluster.Propose(group, "x");
        }

        cluster.RunUntil(() => cluster.Groups.All(g => cluster.Nodes.All(n => n.Machines[g].Commands.Count == 1)), "applied everywhere");
        Assert.True(checkedMessages > 8, $"only {checkedMessages} votes and acknowledgements were seen");
        if (planted)
        {
            Assert.NotEmpty(broken);
        }
        else
        {
            Assert.Empty(broken);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ADeposedLeader_NeverAppliedWhatWasNotCommitted(bool planted)
    {
        var cluster = new HostCluster(3, 1, bugs: planted ? HostPlantedBug.ApplyBeforeCommit : HostPlantedBug.None);
        cluster.ElectAll();
        var group = cluster.Groups[0];
        var old = cluster.LeaderOf(group)!;
        foreach (var other in cluster.Nodes.Where(n => n != old))
        {
            cluster.Cut.Add((old.Id, other.Id));
            cluster.Cut.Add((other.Id, old.Id));
        }

        // The isolated leader takes a write it can never commit; the others elect a leader and commit another.
        Assert.True(cluster.Propose(group, "never committed").Accepted);
        cluster.RunUntil(() => cluster.Nodes.Any(n => n != old && n.Host.Status(group)!.Role == RaftRole.Leader), "a new leader");
        var next = cluster.Nodes.Single(n => n != old && n.Host.Status(group)!.Role == RaftRole.Leader);
        ProposeResult? result = null;
        next.Host.Propose(group, "committed"u8.ToArray(), r => result = r);
        next.Host.Pump();
        cluster.RunUntil(() => result is not null && cluster.Nodes.Where(n => n != old).All(n => n.Machines[group].Commands.Contains("committed")), "committed on the majority");
        cluster.Cut.Clear();
        cluster.RunUntil(() => old.Host.AppliedIndex(group) >= next.Host.AppliedIndex(group) && old.Host.Status(group)!.Role == RaftRole.Follower, "the old leader caught up");
        var agree = old.Machines[group].Commands.SequenceEqual(next.Machines[group].Commands);
        Assert.Equal(!planted, agree);
    }

    [Fact]
    public void AGroupBeingPersisted_GetsNoCall_ItsInputsWaitAndRunAfterwards()
    {
        var cluster = new HostCluster(1, 2);
        cluster.ElectAll();
        var node = cluster[1];
        var group = cluster.Groups[0];
        var results = new List<ProposeResult>();
        node.Host.Propose(group, "a"u8.ToArray(), results.Add);
        node.Host.Pump();
        Assert.True(node.Host.Persisting);
        Assert.Single(results);

        // While the batch is in flight the group's core is inside a Ready: the proposal waits for it.
        node.Host.Propose(group, "b"u8.ToArray(), results.Add);
        Assert.Single(results);
        Assert.Empty(node.Machines[group].Commands);
        cluster.Settle();
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.True(r.Accepted));
        Assert.Equal(["a", "b"], node.Machines[group].Commands);
    }

    [Fact]
    public void AFullQueue_RefusesProposalsAsBusy_AndDropsMessages()
    {
        var cluster = new HostCluster(1, 1, _ => new HostOptions { MaxQueuedInputsPerGroup = 1 });
        cluster.ElectAll();
        var node = cluster[1];
        var group = cluster.Groups[0];
        var results = new List<ProposeResult>();
        node.Host.Propose(group, "a"u8.ToArray(), results.Add);
        node.Host.Pump();
        node.Host.Propose(group, "b"u8.ToArray(), results.Add);
        node.Host.Propose(group, "c"u8.ToArray(), results.Add);
        Assert.Equal(ProposeStatus.Busy, results[^1].Status);
        var dropped = node.Host.Statistics.MessagesDropped;
        node.Host.Step(new Message { Kind = MessageKind.Heartbeat, Group = group, From = new NodeId(9), To = node.Id, Term = new Term(1) });
        Assert.Equal(dropped + 1, node.Host.Statistics.MessagesDropped);
        cluster.Settle();
        Assert.Equal(["a", "b"], node.Machines[group].Commands);
    }

    [Fact]
    public void MessagesForAnotherNodeOrAGroupNotHostedHere_AreDropped()
    {
        var cluster = new HostCluster(1, 1);
        var host = cluster[1].Host;
        host.Step(new Message { Kind = MessageKind.Heartbeat, Group = new GroupId(77), From = new NodeId(2), To = host.MemberOf(cluster.Groups[0]), Term = new Term(5) });
        host.Step(new Message { Kind = MessageKind.Heartbeat, Group = cluster.Groups[0], From = new NodeId(2), To = new NodeId(3), Term = new Term(5) });
        Assert.Equal(2, host.Statistics.MessagesDropped);
        Assert.Equal(0UL, host.Status(cluster.Groups[0])!.Term.Value);
    }

    [Theory]
    [InlineData(TestStoreKind.Memory)]
    [InlineData(TestStoreKind.File)]
    public void ARestartedNode_KeepsEveryAppliedWrite_AndLosesOnlyWhatWasNotDurable(TestStoreKind kind)
    {
        var cluster = new HostCluster(3, 6, store: kind);
        cluster.ElectAll();
        foreach (var group in cluster.Groups)
        {
            cluster.Propose(group, "before");
        }

        cluster.RunUntil(() => cluster.Groups.All(g => cluster.Nodes.All(n => n.Machines[g].Commands.Count == 1)), "applied");
        var victim = cluster[2];
        victim.Crash();
        foreach (var group in cluster.Groups)
        {
            cluster.RunUntil(() => cluster.LeaderOf(group) is not null, "a leader");
            cluster.Propose(group, "while down");
        }

        cluster.RunUntil(() => cluster.Groups.All(g => cluster.Nodes.Where(n => n.Up).All(n => n.Machines[g].Commands.Count == 2)), "applied on the two");
        victim.Restart();
        cluster.RunUntil(() => cluster.Groups.All(g => victim.Machines[g].Commands.Count == 2), "the restarted node caught up");
        foreach (var group in cluster.Groups)
        {
            AssertSameCommands(cluster, group, ["before", "while down"]);
        }
    }

    [Theory]
    [InlineData(TestStoreKind.Memory)]
    [InlineData(TestStoreKind.File)]
    public void ACrashWithABatchInFlight_LosesThatBatchOnly_AndTheNodeRestartsFromWhatWasDurable(TestStoreKind kind)
    {
        var cluster = new HostCluster(1, 3, store: kind);
        cluster.ElectAll();
        var node = cluster[1];
        foreach (var group in cluster.Groups)
        {
            cluster.Propose(group, "kept");
        }

        cluster.Settle();
        var records = node.Store.Log.LastLsn;
        foreach (var group in cluster.Groups)
        {
            node.Host.Propose(group, "lost"u8.ToArray(), _ => { });
        }

        node.Host.Pump();
        Assert.True(node.Host.Persisting);
        node.Crash();
        node.Restart();
        Assert.Equal(records, node.Store.Log.LastLsn);
        cluster.RunUntil(() => cluster.Groups.All(g => cluster.LeaderOf(g) is not null && node.Machines[g].Commands.Count >= 1), "re-elected and re-applied");
        foreach (var group in cluster.Groups)
        {
            Assert.Equal(["kept"], node.Machines[group].Commands);
        }
    }

    [Theory]
    [InlineData(TestStoreKind.Memory)]
    [InlineData(TestStoreKind.File)]
    public void Snapshots_CompactTheSharedLog_AndALaggingFollowerCatchesUpByInstallingOne(TestStoreKind kind)
    {
        var cluster = new HostCluster(3, 3, _ => new HostOptions { SnapshotEveryEntries = 4 }, store: kind);
        cluster.ElectAll();
        var lagging = cluster[3];
        lagging.Crash();
        var expected = new Dictionary<GroupId, List<string>>();
        foreach (var group in cluster.Groups)
        {
            expected[group] = [];
            cluster.RunUntil(() => cluster.LeaderOf(group) is not null, "a leader");
            for (var i = 0; i < 20; i++)
            {
                Assert.True(cluster.Propose(group, $"c{i}").Accepted);
                expected[group].Add($"c{i}");
                cluster.Settle();
            }
        }

        cluster.RunUntil(() => cluster.Groups.All(g => cluster.Nodes.Where(n => n.Up).All(n => n.Machines[g].Commands.Count == 20)), "applied on the two");
        foreach (var node in cluster.Nodes.Where(n => n.Up))
        {
            Assert.True(node.Host.Statistics.SnapshotsSaved >= 3 * 3, $"{node.Id} saved {node.Host.Statistics.SnapshotsSaved}");
            foreach (var group in cluster.Groups)
            {
                Assert.True(node.Store.Log.Find(group.Value)!.CompactIndex >= 16, "the log was compacted");
            }
        }

        lagging.Restart();
        cluster.RunUntil(() => cluster.Groups.All(g => lagging.Machines[g].Commands.Count == 20), "the lagging node caught up");
        Assert.True(lagging.Host.Statistics.SnapshotsInstalled >= 3, $"installed {lagging.Host.Statistics.SnapshotsInstalled}");
        foreach (var group in cluster.Groups)
        {
            AssertSameCommands(cluster, group, expected[group]);
            Assert.True(lagging.Machines[group].Restores >= 1);
        }

        // And it restarts from its own installed snapshot.
        lagging.Crash();
        lagging.Restart();
        cluster.Settle();
        foreach (var group in cluster.Groups)
        {
            Assert.Equal(expected[group], lagging.Machines[group].Commands);
        }
    }

    [Fact]
    public void LinearizableReads_AreServedOnceApplied_AndFailWithoutALeader()
    {
        var cluster = new HostCluster(3, 1);
        cluster.ElectAll();
        var group = cluster.Groups[0];
        var leader = cluster.LeaderOf(group)!;
        cluster.Propose(group, "w");
        leader.Host.ReadIndex(group, 42);
        leader.Host.Pump();
        cluster.RunUntil(() => leader.Machines[group].ReadsReady.Contains(42UL), "the read is served");
        Assert.Equal(["w"], leader.Machines[group].Commands);

        // A follower cut off from everyone cannot confirm a read.
        var follower = cluster.Nodes.First(n => n != leader);
        foreach (var other in cluster.Nodes.Where(n => n != follower))
        {
            cluster.Cut.Add((follower.Id, other.Id));
            cluster.Cut.Add((other.Id, follower.Id));
        }

        cluster.RunUntil(() => follower.Host.Status(group)!.Leader.IsNone || follower.Host.Status(group)!.Role != RaftRole.Follower, "the follower lost its leader", 200);
        follower.Host.ReadIndex(group, 43);
        follower.Host.Pump();
        cluster.RunUntil(() => follower.Machines[group].ReadsFailed.Contains(43UL) || follower.Machines[group].ReadsReady.Contains(43UL), "the read is answered", 200);
        Assert.Contains(43UL, follower.Machines[group].ReadsFailed);
    }

    [Fact]
    public void AStoreThatRefusesABatch_StopsTheHost_AndNothingIsAcknowledged()
    {
        var store = new RefusingStore();
        var sent = new List<Message>();
        var host = new ReplicaHost(new HostOptions(), store, new ListTransport(sent), _ => new ListMachine(), new Random(1));
        host.Open();
        host.CreateGroup(new GroupDescriptor(new GroupId(1), new NodeId(1), new Configuration([new NodeId(1)])));
        var error = Assert.Throws<InvalidOperationException>(host.Pump);
        Assert.IsType<IOException>(error.InnerException);
        Assert.NotNull(host.Failure);
        Assert.Throws<InvalidOperationException>(host.Tick);
        Assert.DoesNotContain(sent, m => m.Kind is MessageKind.VoteResponse or MessageKind.AppendResponse);
    }

    [Theory]
    [InlineData(TestStoreKind.Memory)]
    [InlineData(TestStoreKind.File)]
    public void ARemovedGroup_IsForgottenDurably_RefusesInputs_AndCanComeBackAsANewMember(TestStoreKind kind)
    {
        var cluster = new HostCluster(1, 2, _ => new HostOptions { SnapshotEveryEntries = 2 }, store: kind);
        cluster.ElectAll();
        var node = cluster[1];
        var (gone, kept) = (cluster.Groups[0], cluster.Groups[1]);
        for (var i = 0; i < 3; i++)
        {
            cluster.Propose(gone, $"g{i}");
            cluster.Propose(kept, $"k{i}");
        }

        cluster.Settle();
        var compacted = new LogIndex(node.Store.Log.Find(gone.Value)!.CompactIndex);
        Assert.True(compacted > LogIndex.Zero);
        Assert.NotNull(node.Store.Snapshots(gone).At(compacted));
        node.Host.RemoveGroup(gone);
        ProposeResult? refused = null;
        node.Host.Propose(gone, "late"u8.ToArray(), r => refused = r);
        Assert.Equal(ProposeStatus.Busy, refused!.Value.Status);
        Assert.False(node.Host.Hosts(gone));
        node.Host.Pump();
        cluster.Settle();
        Assert.Null(node.Store.Log.Find(gone.Value));
        Assert.DoesNotContain(node.Store.Groups, d => d.Group == gone);
        Assert.Null(node.Store.Snapshots(gone).At(compacted));

        node.Crash();
        node.Restart();
        Assert.False(node.Host.Hosts(gone));
        Assert.True(node.Host.Hosts(kept));
        Assert.Null(node.Store.Log.Find(gone.Value));

        // Back as a fresh member (a new id): it starts from nothing.
        var fresh = new NodeId(101);
        Assert.False(node.Host.Holds(gone));
        node.Host.CreateGroup(new GroupDescriptor(gone, fresh, new Configuration([fresh])));
        node.Host.Pump();
        cluster.RunUntil(() => node.Host.Status(gone)!.Role == RaftRole.Leader, "the new member leads");
        Assert.Empty(node.Machines[gone].Commands);
        cluster.RunUntil(() => node.Machines[kept].Commands.Count == 3, "the kept group re-applied");
    }

    [Fact]
    public void AGroupCannotBeCreatedAgain_UntilItsRemovalIsDurable()
    {
        var cluster = new HostCluster(1, 1);
        cluster.ElectAll();
        var node = cluster[1];
        var group = cluster.Groups[0];
        node.Host.RemoveGroup(group);
        node.Host.Pump();
        Assert.True(node.Host.Persisting);

        // The Remove record is in flight: the view still holds the old member's log, which a new core would start from.
        Assert.True(node.Host.Holds(group));
        Assert.Throws<ArgumentException>(() => node.Host.CreateGroup(new GroupDescriptor(group, new NodeId(101), new Configuration([new NodeId(101)]))));
        cluster.Settle();
        Assert.False(node.Host.Holds(group));
        node.Host.CreateGroup(new GroupDescriptor(group, new NodeId(101), new Configuration([new NodeId(101)])));
        node.Host.Pump();
        cluster.RunUntil(() => node.Host.Status(group)!.Role == RaftRole.Leader, "the new member leads");
        Assert.Equal(Term.Zero.Next, node.Host.Status(group)!.Term);
    }

    [Fact]
    public void CreatingAGroupTwice_IsRefused()
    {
        var cluster = new HostCluster(1, 1);
        var error = Assert.Throws<ArgumentException>(() => cluster[1].Host.CreateGroup(new GroupDescriptor(cluster.Groups[0], new NodeId(1), Configuration.Empty)));
        Assert.Contains("exists", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadOptions_AreRefusedByName()
    {
        Assert.Contains("MaxBatchBytes", Assert.Throws<ArgumentException>(() => new HostOptions { MaxBatchBytes = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("SnapshotEveryEntries", Assert.Throws<ArgumentException>(() => new HostOptions { SnapshotEveryEntries = 0 }.Validate()).Message, StringComparison.Ordinal);
    }

    private sealed class ListTransport(List<Message> sent) : IPeerTransport
    {
        public void Send(IReadOnlyList<Message> messages) => sent.AddRange(messages);
    }

    private sealed class RefusingStore : IReplicaStore
    {
        private readonly MemoryReplicaStore _inner = new();

        public Statehouse.Storage.Groups.GroupLogState Log => _inner.Log;

        public IReadOnlyList<GroupDescriptor> Groups => _inner.Groups;

        public IGroupSnapshots Snapshots(GroupId group) => _inner.Snapshots(group);

        public void Persist(PersistBatch batch) => throw new IOException("disk full");

        public void Publish(PersistBatch batch) => throw new InvalidOperationException("nothing was persisted");

        public void SaveSnapshot(SnapshotRequest request) => throw new IOException("disk full");
    }
}
