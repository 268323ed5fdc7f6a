using Statehouse.Storage.Groups;

namespace Statehouse.Storage.Tests.Groups;

public sealed class GroupLogTests
{
    private static AppendEntriesOperation Append(ulong group, ulong first, ulong term, int count, int bytes = 20) =>
        new(group, Enumerable.Range(0, count).Select(i => new GroupEntry(first + (ulong)i, term, 1, new byte[bytes])).ToArray());

    [Fact]
    public void Open_ReplaysEveryBatch_IntoTheSameState()
    {
        var fileSystem = new FaultyFileSystem();
        var options = WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: 1024);
        var batches = GroupLogTestKit.RandomHistory(seed: 7, batchCount: 150, groups: 5);
        string expected;
        using (var log = GroupLog.Open(options))
        {
            foreach (var batch in batches)
            {
                log.Write(batch);
            }

            Assert.True(log.SegmentCount > 3, $"{log.SegmentCount} segments: the test should span several");
            expected = GroupLogTestKit.Describe(log.State);
        }

        using var reopened = GroupLog.Open(options);
        Assert.Equal(batches.Count, reopened.LastLsn);
        Assert.Equal(expected, GroupLogTestKit.Describe(reopened.State));
    }

    [Fact]
    public void Write_RefusesABatchThatBreaksARule_AndWritesNothing()
    {
        var fileSystem = new FaultyFileSystem();
        var options = WalTestKit.MemoryOptions(fileSystem);
        using var log = GroupLog.Open(options);
        log.Write([new HardStateOperation(1, 1, 1, 0), Append(1, 1, 1, 2)]);
        var writes = fileSystem.WriteCount;

        Assert.Throws<GroupLogViolationException>(() => log.Write([Append(1, 5, 1, 1)]));

        Assert.Equal(1L, log.LastLsn);
        Assert.Equal(writes, fileSystem.WriteCount);
        Assert.Equal(2UL, log.State.Find(1)!.LastIndex);
    }

    [Fact]
    public void Reclaim_WaitsForAnIdleGroup_UntilARewriteMovesItsPin_AndTheLogReopensTheSame()
    {
        var fileSystem = new FaultyFileSystem();
        var options = WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: 1024);
        using (var log = GroupLog.Open(options))
        {
            // Group 2 writes once and goes idle; group 1 writes on and snapshots often.
            log.Write([new HardStateOperation(2, 1, 1, 1), Append(2, 1, 1, 1)]);
            log.Write([new HardStateOperation(1, 1, 1, 0)]);
            for (ulong index = 1; index <= 120; index++)
            {
                log.Write([Append(1, index, 1, 1), new HardStateOperation(1, 1, 1, index)]);
                if (index % 10 == 0)
                {
                    log.Write([new CompactOperation(1, index, 1)]);
                }
            }

            Assert.True(log.SegmentCount > 5);
            Assert.Equal(0, log.Reclaim());
            Assert.Equal(1L, log.FirstLsn);

            var idle = log.GroupsPinnedBelow(log.State.Find(1)!.Pin);
            Assert.Equal([2UL], idle.Select(g => g.Id));
            log.Rewrite(idle.Select(g => g.Id));
            var deleted = log.Reclaim();

            Assert.True(deleted > 3, $"{deleted} segments deleted");
            Assert.True(log.FirstLsn > 1);
            Assert.True(log.FirstLsn <= log.State.MinimumPin());
        }

        // The replay starts after reclaimed batches and rebuilds both groups.
        using var reopened = GroupLog.Open(options);
        var group1 = reopened.State.Find(1)!;
        var group2 = reopened.State.Find(2)!;
        Assert.Equal((120UL, 120UL, 120UL), (group1.CompactIndex, group1.LastIndex, group1.Commit));
        Assert.Equal((0UL, 1UL, 1UL), (group2.CompactIndex, group2.LastIndex, group2.Commit));
    }

    [Fact]
    public void Open_RefusesALog_WhoseReclaimedSegmentsAGroupStillNeeded()
    {
        var fileSystem = new FaultyFileSystem();
        var options = WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: 1024);
        using (var log = GroupLog.Open(options))
        {
            log.Write([new HardStateOperation(2, 1, 1, 1), Append(2, 1, 1, 3)]);
            for (ulong index = 1; index <= 60; index++)
            {
                // Group 1 snapshots at every entry, so it never needs an old segment.
                log.Write([Append(1, index, 1, 1), new HardStateOperation(1, 1, 1, index), new CompactOperation(1, index, 1)]);
            }

            // Group 2 now appends after its first entries, in a later segment.
            log.Write([Append(2, 4, 1, 1)]);
        }

        // Reclaim the oldest segment behind the group log's back (as a pin bug would): group 2's entries 1-3 go with it.
        using (var wal = WriteAheadLog.Open(options))
        {
            var segments = wal.SegmentCount;
            for (long through = 1; wal.SegmentCount == segments; through++)
            {
                wal.TruncatePrefix(through);
            }

            Assert.Equal(segments - 1, wal.SegmentCount);
        }

        var error = Assert.Throws<GroupLogViolationException>(() => GroupLog.Open(options));
        Assert.Equal(2UL, error.Group);
    }

    public static TheoryData<string, long, byte[]> ForeignRecords => new()
    {
        { "does not decode", 0, [GroupLogFormat.FormatVersion, 1, 1] },
        { "unknown format", 0, [99] },
        { "not a shared group log", 3, [GroupLogFormat.FormatVersion] },
    };

    [Theory]
    [MemberData(nameof(ForeignRecords))]
    public void Open_RefusesARecordThatIsNotAGroupBatch_WithItsLsn(string problem, long term, byte[] payload)
    {
        var fileSystem = new FaultyFileSystem();
        var options = WalTestKit.MemoryOptions(fileSystem);
        using (var log = GroupLog.Open(options))
        {
            log.Write([new HardStateOperation(1, 1, 1, 0)]);
        }

        // A record with a good checksum but a payload no group log wrote (another program's WAL, or a bug).
        using (var wal = WriteAheadLog.Open(options))
        {
            wal.Append([new LogRecord(2, term, payload)]);
        }

        var error = Assert.Throws<GroupLogViolationException>(() => GroupLog.Open(options));
        Assert.Equal(2L, error.Lsn);
        Assert.Contains(problem.Split(' ')[^1], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Crash_KeepsEveryAcknowledgedBatch()
    {
        var crashedMidway = 0;
        for (var seed = 1; seed <= 60; seed++)
        {
            var random = new Random(seed);
            var fileSystem = new FaultyFileSystem();
            var options = WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: random.Next(300, 3000), preallocate: random.Next(2) == 0);
            var batches = GroupLogTestKit.RandomHistory(seed, batchCount: 80, groups: 3);
            var acknowledged = 0;
            using (var log = GroupLog.Open(options))
            {
                fileSystem.CrashAfter(random.Next(0, 120), tearKeepBytes: random.Next(3) == 0 ? -1 : random.Next(0, 400));
                try
                {
                    foreach (var batch in batches)
                    {
                        log.Write(batch);
                        acknowledged++;
                    }
                }
                catch (WalFailedException)
                {
                }
            }

            crashedMidway += acknowledged < batches.Count ? 1 : 0;
            fileSystem.Restart((CrashMode)random.Next(3), seed);
            using var reopened = GroupLog.Open(options);

            // Every acknowledged batch survives; the one in flight may or may not.
            Assert.InRange(reopened.LastLsn, acknowledged, Math.Min(acknowledged + 1, batches.Count));
            var model = new GroupLogState();
            for (var i = 0; i < reopened.LastLsn; i++)
            {
                model.Apply(i + 1, batches[i]);
            }

            Assert.Equal(GroupLogTestKit.Describe(model), GroupLogTestKit.Describe(reopened.State));
        }

        Assert.True(crashedMidway >= 40, $"only {crashedMidway} of 60 trials crashed before the end");
    }
}
