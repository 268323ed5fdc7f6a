using CsCheck;
using Statehouse.Core.Model;
using Statehouse.Core.Store;
using Statehouse.Core.Tests.Modeling;
using Statehouse.Core.Tests.Support;
using Xunit.Abstractions;
using static Statehouse.Core.Tests.Support.Driver;

namespace Statehouse.Core.Tests;

/// <summary>WriteSnapshot/Restore: what a restored replica answers, and how Restore treats damaged bodies.</summary>
public sealed class SnapshotRestoreTests(ITestOutputHelper output)
{
    // Was a bug at b053d08: Restore rebuilt history only for revisions strictly above the compact revision (loop
    // `v.ModRevision > c.CompactRevision`), while a live machine keeps the events AT it and TryRead(compactRevision) is allowed.
    [Fact]
    public void Restore_KeepsWatchEventsAtCompactRevision_WhenCompactRevisionHasEvents()
    {
        var source = new Driver();
        source.Run(Put("a", "1"));
        source.Run(Put("b", "2"));
        source.Run(new CompactCommand(2));

        var restored = Simulation.RoundTrip(source.View, source.Machine.Limits);

        Assert.Equal(["2:b=2"], History(source.Machine, 2));
        Assert.Equal(History(source.Machine, 2), History(restored, 2));
    }

    // Was a bug at b053d08: Restore walked each chain newest-first and sorted by (revision, keyspace, key), so two writes
    // of one key in one transaction came back newest-first and the restored history ended with the FIRST value.
    [Fact]
    public void Restore_KeepsApplicationOrderOfEvents_WhenTxnWritesSameKeyTwice()
    {
        var source = new Driver();
        source.Run(new TxnCommand([], [Put("a", "first"), Put("a", "second")], []));

        var restored = Simulation.RoundTrip(source.View, source.Machine.Limits);

        Assert.Equal(["1:a=first", "1:a=second"], History(source.Machine, 0));
        Assert.Equal(History(source.Machine, 0), History(restored, 0));
    }

    // Was a bug at b053d08 (same cause): inside one revision the restored history was ordered by key, a live machine's by
    // application order, so replicas disagreed on the order a watcher sees.
    [Fact]
    public void Restore_KeepsApplicationOrderOfEvents_WhenTxnWritesKeysInDescendingOrder()
    {
        var source = new Driver();
        source.Run(new TxnCommand([], [Put("b", "1"), Put("a", "2")], []));

        var restored = Simulation.RoundTrip(source.View, source.Machine.Limits);

        Assert.Equal(["1:b=1", "1:a=2"], History(source.Machine, 0));
        Assert.Equal(History(source.Machine, 0), History(restored, 0));
    }

    // Was a bug after 0f15f7d: TrimCompacted removed a key whose head is a tombstone made AT the compact revision, whose
    // Delete event the live history still serves from TryRead(compactRevision); the snapshot then had no chain for the
    // key and the restored history lacked the Delete.
    [Fact]
    public void Restore_KeepsWatchEventsAtCompactRevision_WhenTrimmingRemovedTombstoneAtCompactRevision()
    {
        var source = new Driver();
        source.Run(Put("a", "1"));
        source.Run(Put("b", "2"));
        source.Run(new DeleteCommand(KeyspaceConfig.DefaultName, B("a")));
        source.Run(new CompactCommand(3));

        var restored = Simulation.RoundTrip(source.View, source.Machine.Limits);

        Assert.Equal(["3:a!"], History(source.Machine, 3));
        Assert.Equal(History(source.Machine, 3), History(restored, 3));
    }

    // Was a bug after 0f15f7d: when a transaction wrote one key twice at exactly the compact revision, TrimCompacted cut
    // the chain below the FIRST of those writes, so on a restored replica that event's PreviousKv was null.
    [Fact]
    public void Restore_KeepsPreviousValueOfEventsAtCompactRevision_WhenTxnWroteKeyTwiceAtCompactRevision()
    {
        var source = new Driver();
        source.Run(Put("a", "0"));
        source.Run(new TxnCommand([], [Put("a", "1"), Put("a", "2")], []));
        source.Run(new CompactCommand(2));

        var restored = Simulation.RoundTrip(source.View, source.Machine.Limits);

        Assert.Equal(["2:a=1(prev 0)", "2:a=2(prev 1)"], HistoryWithPrevious(source.Machine, 2));
        Assert.Equal(HistoryWithPrevious(source.Machine, 2), HistoryWithPrevious(restored, 2));
    }

    private static List<string> HistoryWithPrevious(StateMachine machine, long from)
    {
        var events = new List<WatchEvent>();
        Assert.True(machine.History.TryRead(from, int.MaxValue, events, out _));
        return events.Select(e => $"{e.Revision}:{System.Text.Encoding.UTF8.GetString(e.Key)}={(e.Current.Value is { } v ? System.Text.Encoding.UTF8.GetString(v) : "!")}(prev {(e.PreviousKv is { } p ? System.Text.Encoding.UTF8.GetString(p.Value) : "none")})").ToList();
    }

    [Fact]
    public void Restore_AnswersLikeTheSource_WhenStateHasLeasesRequestIdsAndKeyspaces()
    {
        var source = new Driver();
        source.Run(new CreateKeyspaceCommand(new KeyspaceConfig("ks", MaxKeys: 2)));
        var grant = (LeaseGrantResult)source.Run(new LeaseGrantCommand(0, 30));
        source.Run(Put("a", "1") with { Lease = grant.LeaseId });
        var ttlPut = (PutResult)source.Run(Put("b", "2", "ks") with { TtlSeconds = 5 });
        var first = source.Run(Put("c", "3") with { RequestId = "req" });
        source.Run(new CompactCommand(2));

        var restored = new Driver(Simulation.RoundTrip(source.View, source.Machine.Limits)) { NowMs = source.NowMs };
        Checks.SameAnswers(source.View, restored.View, "restored vs source");

        // Both continue identically: the retry is answered from the restored request table, lease ids continue.
        foreach (var d in new[] { source, restored })
        {
            Structural.AssertEqual(first, d.Run(Put("c", "3") with { RequestId = "req" }), "retry after restore");
            Assert.Equal(ErrorCode.InvalidArgument, ((ErrorResult)d.Run(Put("c", "other") with { RequestId = "req" })).Code);
            var next = (LeaseGrantResult)d.Run(new LeaseGrantCommand(0, 10));
            Assert.Equal(ttlPut.Lease + 1, next.LeaseId);
            Assert.Equal(1, ((LeaseRevokeResult)d.Run(new LeaseRevokeCommand(grant.LeaseId))).KeysDeleted);
        }

        Assert.Equal(StateMachine.StateHash(source.View), StateMachine.StateHash(restored.View));
    }

    [Fact]
    public void WriteSnapshot_RestoresTheOldView_WhenPhysicalCompactionIsDisabledWhileLaterBatchesCompact()
    {
        CommandGen.Scenario(120).Sample(
            scenario =>
            {
                var done = false;
                var snapshotAfter = 1 + Math.Abs(scenario.CheckSeed % Math.Max(1, scenario.Steps.Count(s => s.EndsBatch)));
                Simulation.Run(scenario, new SimulationOptions
                {
                    Variants = [() => new StateMachine(CommandGen.Limits) { CompactionEventsPerBatch = 1 }],
                    AfterBatch = sim =>
                    {
                        if (done || sim.Batches.Count < snapshotAfter)
                        {
                            return;
                        }

                        done = true;
                        SnapshotOldViewWhileCompacting(sim);
                    },
                });
            },
            writeLine: output.WriteLine,
            seed: PropertyRuns.Seed,
            iter: PropertyRuns.Iterations(100),
            print: s => s.ToString());
    }

    /// <summary>
    /// Takes the current view, disables trimming, applies batches that overwrite every key and compact to the newest
    /// revision, then writes the OLD view: the restored machine must equal a machine that stopped at that view.
    /// </summary>
    private static void SnapshotOldViewWhileCompacting(Simulation sim)
    {
        var primary = sim.Machines[0].State;
        var old = primary.View;
        var frozen = new StateMachine(CommandGen.Limits);
        foreach (var (batch, index) in sim.Batches)
        {
            frozen.Apply(batch, index);
        }

        primary.PhysicalCompactionEnabled = false;
        for (var round = 0; round < 3; round++)
        {
            var writes = CommandGen.Keys.Select(k => (Command)new PutCommand(KeyspaceConfig.DefaultName, k, [(byte)('0' + round)])).ToList();
            sim.ApplyEverywhere(new CommandBatch(sim.TimestampMs, writes));
            sim.ApplyEverywhere(new CommandBatch(sim.TimestampMs, [new DeleteCommand(KeyspaceConfig.DefaultName, "a"u8.ToArray()), new CompactCommand(sim.Model.Revision + 1)]));
        }

        var restored = Simulation.RoundTrip(old, CommandGen.Limits);
        Checks.SameAnswers(frozen.View, restored.View, "snapshot of the old view vs a machine stopped there");

        primary.PhysicalCompactionEnabled = true;
        sim.ApplyEverywhere(new CommandBatch(sim.TimestampMs, [new CompactCommand(sim.Model.Revision)]));
    }

    /// <summary>A snapshot with keyspaces, histories, leases, tombstones and remembered requests of every result type.</summary>
    internal static byte[] RichSnapshot()
    {
        var d = new Driver(CommandGen.Limits);
        d.Run(new CreateKeyspaceCommand(CommandGen.Ks2));
        d.Run(new LeaseGrantCommand(3, 50));
        d.Batch(Put("a", "1"), Put("b", "2") with { Lease = 3 }, Put("ab", "3", "ks2") with { TtlSeconds = 9, RequestId = "r1" });
        d.Batch(new TxnCommand([], [Put("a", "x"), new DeleteCommand("default", B("b")), new RangeOperation("default", new RangeQuery { Limit = 1 })], []) { RequestId = "r2" });
        d.Batch(new IncrementCommand("default", B("c"), 5) { RequestId = "r3" }, new DeleteCommand("default", B("zz")) { RequestId = "r4" });
        d.Run(new CompactCommand(3));
        d.Run(Put("c", "7"));
        using var stream = new MemoryStream();
        StateMachine.WriteSnapshot(d.View, stream);
        return stream.ToArray();
    }
}
