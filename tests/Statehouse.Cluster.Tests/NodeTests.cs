using System.Text;
using Microsoft.Extensions.Time.Testing;
using Statehouse.Core;
using Statehouse.Core.Model;

namespace Statehouse.Cluster.Tests;

public sealed class NodeTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "statehouse-node-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }

    private NodeOptions Options(Action<NodeOptionsBuilder>? configure = null)
    {
        var b = new NodeOptionsBuilder { DataDirectory = _dir };
        configure?.Invoke(b);
        return b.Build();
    }

    private sealed class NodeOptionsBuilder
    {
        public required string DataDirectory { get; init; }

        public long SnapshotThresholdEntries { get; set; } = 100_000;

        public long HistoryRetentionRevisions { get; set; } = 100_000;

        public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

        public bool AcceptWalLoss { get; set; }

        public NodeOptions Build() => new()
        {
            AcceptWalLoss = AcceptWalLoss,
            DataDirectory = DataDirectory,
            SnapshotThresholdEntries = SnapshotThresholdEntries,
            HistoryRetentionRevisions = HistoryRetentionRevisions,
            TimeProvider = TimeProvider,
            MaintenanceIntervalMs = 20,
        };
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task Restart_RecoversEveryAcknowledgedWrite_FromTheLog()
    {
        var revisions = new Dictionary<string, long>();
        await using (var node = await StatehouseNode.StartAsync(Options()))
        {
            var tasks = Enumerable.Range(0, 200).Select(async i =>
            {
                var result = await node.ProposeAsync(new PutCommand("default", B($"k{i}"), B($"v{i}")));
                lock (revisions)
                {
                    revisions[$"k{i}"] = result.Revision;
                }
            });
            await Task.WhenAll(tasks);
        }

        await using var restarted = await StatehouseNode.StartAsync(Options());
        Assert.Equal(200, restarted.View.Revision);
        foreach (var (key, revision) in revisions)
        {
            var kv = restarted.View.Get("default", B(key));
            Assert.NotNull(kv);
            Assert.Equal(revision, kv.ModRevision);
        }
    }

    [Fact]
    public async Task Start_RefusesDataLoss_WhenLogSegmentsAreGone_AndStartsFromTheSnapshotWhenTheLossIsAccepted()
    {
        long snapshotIndex;
        await using (var node = await StatehouseNode.StartAsync(Options()))
        {
            for (var i = 0; i < 20; i++)
            {
                await node.ProposeAsync(new PutCommand("default", B($"before-{i}"), B("v")));
            }

            snapshotIndex = (await node.SnapshotAsync(CancellationToken.None)).Index;
            for (var i = 0; i < 20; i++)
            {
                await node.ProposeAsync(new PutCommand("default", B($"after-{i}"), B("v")));
            }
        }

        foreach (var segment in Directory.GetFiles(Path.Combine(_dir, "wal"), "wal-*.seg"))
        {
            File.Delete(segment);
        }

        var loss = await Assert.ThrowsAsync<Storage.WalDataLossException>(() => StatehouseNode.StartAsync(Options()));
        Assert.True(loss.ExpectedLastIndex > snapshotIndex);
        Assert.Equal(0, loss.FoundLastIndex);

        // The operator's override: what the snapshot holds is all there is; the log continues after it.
        await using (var accepted = await StatehouseNode.StartAsync(Options(o => o.AcceptWalLoss = true)))
        {
            Assert.NotNull(accepted.View.Get("default", B("before-19")));
            Assert.Null(accepted.View.Get("default", B("after-0")));
            Assert.Equal(snapshotIndex, accepted.LastLogIndex);
            await accepted.ProposeAsync(new PutCommand("default", B("again"), B("v")));
        }

        await using var restarted = await StatehouseNode.StartAsync(Options());
        Assert.NotNull(restarted.View.Get("default", B("again")));
    }

    [Fact]
    public async Task Snapshot_TruncatesTheLog_AndRestartUsesSnapshotPlusTail()
    {
        ulong hash;
        await using (var node = await StatehouseNode.StartAsync(Options(o => o.SnapshotThresholdEntries = 50)))
        {
            for (var i = 0; i < 300; i++)
            {
                await node.ProposeAsync(new PutCommand("default", B($"k{i % 40}"), B($"v{i}")));
            }

            var report = await node.SnapshotAsync(CancellationToken.None);
            Assert.True(report.Index > 0);
            Assert.True(File.Exists(report.Path));
            for (var i = 0; i < 10; i++)
            {
                await node.ProposeAsync(new IncrementCommand("default", B("counter"), 1));
            }

            hash = Core.Store.StateMachine.StateHash(node.View);
        }

        await using var restarted = await StatehouseNode.StartAsync(Options());
        Assert.Equal(hash, Core.Store.StateMachine.StateHash(restarted.View));
        Assert.Equal("10", Encoding.UTF8.GetString(restarted.View.Get("default", B("counter"))!.Value));
        Assert.True(restarted.SnapshotIndex > 0);
    }

    [Fact]
    public async Task Snapshot_LetsWritesContinue_WhileItIsWritten()
    {
        await using var node = await StatehouseNode.StartAsync(Options());
        var batch = Enumerable.Range(0, 50_000).Select(i => node.ProposeAsync(new PutCommand("default", B($"key-{i:D6}"), new byte[100])).AsTask());
        await Task.WhenAll(batch);

        var snapshot = node.SnapshotAsync(CancellationToken.None);
        var writesDuringSnapshot = 0;
        while (!snapshot.IsCompleted && writesDuringSnapshot < 10_000)
        {
            await node.ProposeAsync(new PutCommand("default", B("during"), B($"{writesDuringSnapshot}")));
            writesDuringSnapshot++;
        }

        var report = await snapshot;

        // The snapshot holds the state as of its index, whatever was written after.
        Assert.True(report.Revision >= 50_000);
        Assert.True(writesDuringSnapshot > 0, "no write completed while the snapshot was being written");
    }

    [Fact]
    public async Task RequestId_IsAppliedOnce_AcrossARestart()
    {
        long first;
        await using (var node = await StatehouseNode.StartAsync(Options()))
        {
            first = (await node.ProposeAsync(new IncrementCommand("default", B("n"), 5) { RequestId = "req-1" })).Revision;
            var retry = await node.ProposeAsync(new IncrementCommand("default", B("n"), 5) { RequestId = "req-1" });
            Assert.Equal(first, retry.Revision);
            Assert.Equal(5, ((IncrementResult)retry).Value);
        }

        await using var restarted = await StatehouseNode.StartAsync(Options());
        var again = await restarted.ProposeAsync(new IncrementCommand("default", B("n"), 5) { RequestId = "req-1" });
        Assert.Equal(first, again.Revision);
        Assert.Equal("5", Encoding.UTF8.GetString(restarted.View.Get("default", B("n"))!.Value));
    }

    [Fact]
    public async Task Lease_ExpiresThroughTheLog_WhenItsDeadlinePasses_AndKeepAliveDefersIt()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000));
        await using var node = await StatehouseNode.StartAsync(Options(o => o.TimeProvider = time));
        var grant = (LeaseGrantResult)await node.ProposeAsync(new LeaseGrantCommand(0, 10));
        await node.ProposeAsync(new PutCommand("default", B("session"), B("x")) { Lease = grant.LeaseId });

        time.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal(10, node.KeepAlive(grant.LeaseId));
        time.Advance(TimeSpan.FromSeconds(8));
        await Task.Delay(200);
        Assert.NotNull(node.View.Get("default", B("session")));
        Assert.Equal((2L, 10L), node.TimeToLive(grant.LeaseId));

        time.Advance(TimeSpan.FromSeconds(3));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (node.View.Get("default", B("session")) is not null && DateTime.UtcNow < deadline)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(20);
        }

        Assert.Null(node.View.Get("default", B("session")));
        Assert.False(node.View.Leases.ContainsKey(grant.LeaseId));
        var events = new List<Core.Store.WatchEvent>();
        node.History.TryRead(1, 100, events, out _);
        Assert.Equal(ChangeKind.Expire, events[^1].Kind);
    }

    [Fact]
    public async Task AutoCompaction_KeepsOnlyTheConfiguredHistory()
    {
        await using var node = await StatehouseNode.StartAsync(Options(o => o.HistoryRetentionRevisions = 100));
        for (var i = 0; i < 500; i++)
        {
            await node.ProposeAsync(new PutCommand("default", B("hot"), B($"{i}")));
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (node.View.CompactRevision < 390 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.InRange(node.View.CompactRevision, 390, 400);
        var ex = Assert.Throws<StatehouseException>(() => node.View.Get("default", B("hot"), 10));
        Assert.Equal(ErrorCode.Compacted, ex.Code);
        Assert.Equal("499", Encoding.UTF8.GetString(node.View.Get("default", B("hot"))!.Value));
    }

    [Fact]
    public async Task Propose_Throws_AfterTheNodeStopped()
    {
        var node = await StatehouseNode.StartAsync(Options());
        await node.DisposeAsync();
        var ex = await Assert.ThrowsAsync<StatehouseException>(async () => await node.ProposeAsync(new PutCommand("default", B("k"), B("v"))));
        Assert.Equal(ErrorCode.Unavailable, ex.Code);
    }
}
