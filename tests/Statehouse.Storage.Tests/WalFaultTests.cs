using Xunit.Abstractions;

namespace Statehouse.Storage.Tests;

/// <summary>Failed fsyncs and crashes at every point: no acknowledged record may ever be lost.</summary>
public sealed class WalFaultTests(ITestOutputHelper output)
{
    [Fact]
    public void Append_PoisonsLog_WhenFdatasyncFails()
    {
        var fileSystem = new FaultyFileSystem();
        WalOptions options = WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: 4096);
        LogRecord[] acknowledged = WalTestKit.Batch(1, 3, 1, 50);
        using (var log = WriteAheadLog.Open(options))
        {
            log.Append(acknowledged);
            fileSystem.FailFlushAfter(0);

            var failure = Assert.Throws<WalFailedException>(() => log.Append(WalTestKit.Batch(4, 1, 1, 50)));
            Assert.IsType<IOException>(failure.InnerException);
            Assert.True(log.IsFailed);

            // A retry would "succeed" without writing the lost pages (fsyncgate), so every later call refuses.
            Assert.Throws<WalFailedException>(() => log.Append(WalTestKit.Batch(4, 1, 1, 50)));
            Assert.Throws<WalFailedException>(() => log.Read(1));
            Assert.Throws<WalFailedException>(() => log.TruncateSuffix(2));
            Assert.Throws<WalFailedException>(() => log.TruncatePrefix(1));
        }

        fileSystem.Restart(CrashMode.KeepUnsynced);
        using var reopened = WriteAheadLog.Open(options);
        WalTestKit.AssertHolds(reopened, acknowledged);
    }

    [Fact]
    public void TruncateSuffix_PoisonsLog_WhenFdatasyncFails()
    {
        var fileSystem = new FaultyFileSystem();
        using var log = WriteAheadLog.Open(WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: 4096));
        log.Append(WalTestKit.Batch(1, 5, 1, 50));
        fileSystem.FailFlushAfter(0);

        Assert.Throws<WalFailedException>(() => log.TruncateSuffix(3));
        Assert.Throws<WalFailedException>(() => log.Append(WalTestKit.Batch(3, 1, 1, 50)));
    }

    [Fact]
    public void Open_KeepsEveryAcknowledgedRecord_WhenCrashHitsAnyMutationUnderAnyCrashMode()
    {
        int baseSeed = Environment.TickCount;
        output.WriteLine($"base seed {baseSeed} (trial t uses seed base + t)");
        var stats = new CrashStats();
        for (int trial = 0; trial < 300; trial++)
        {
            int seed = baseSeed + trial;
            try
            {
                RunCrashTrial(seed, stats);
            }
            catch (Exception exception)
            {
                throw new InvalidOperationException($"Crash trial failed; replay with seed {seed}.", exception);
            }
        }

        output.WriteLine($"crashes mid-operation {stats.MidOperation}, tails cut {stats.TailsCut}, segments discarded {stats.SegmentsDiscarded}, out-of-order tails {stats.OutOfOrderTails}");
        Assert.True(stats.MidOperation > 100, "the crash points should mostly land inside operations");
    }

    private sealed class CrashStats
    {
        public int MidOperation { get; set; }

        public int TailsCut { get; set; }

        public int SegmentsDiscarded { get; set; }

        public int OutOfOrderTails { get; set; }
    }

    private static void RunCrashTrial(int seed, CrashStats stats)
    {
        var random = new Random(seed);
        var fileSystem = new FaultyFileSystem();
        // Half the trials defer the manifest as production does (interval elapsed = an explicit Checkpoint between steps).
        bool deferred = random.Next(2) == 0;
        WalOptions options = WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes: random.Next(200, 2000), preallocate: random.Next(2) == 0,
            highWaterIntervalMs: deferred ? 60_000 : 0);
        var model = new List<LogRecord>();
        long snapshotIndex = 0;
        for (int round = 0; round < 3; round++)
        {
            using (var log = WriteAheadLog.Open(options))
            {
                fileSystem.CrashAfter(random.Next(0, 40), tearKeepBytes: random.Next(3) == 0 ? -1 : random.Next(0, 400));
                InFlight inFlight = RunUntilCrash(log, model, random, ref snapshotIndex);
                stats.MidOperation += fileSystem.IsCrashed ? 1 : 0;
                RecoveryReport report = CheckAfterCrash(fileSystem, options, model, inFlight, snapshotIndex, random.Next(), (CrashMode)random.Next(3));
                stats.TailsCut += report.TailTruncated ? 1 : 0;
                stats.SegmentsDiscarded += report.DiscardedSegmentCount;
                stats.OutOfOrderTails += report.TailReason?.Contains("never-written", StringComparison.Ordinal) == true ? 1 : 0;
            }
        }
    }

    /// <summary>The operation that was running when the crash hit (or none).</summary>
    private sealed record InFlight(LogRecord[] AppendBatch, long TruncateFromIndex);

    private static InFlight RunUntilCrash(WriteAheadLog log, List<LogRecord> model, Random random, ref long snapshotIndex)
    {
        for (int step = 0; step < 50; step++)
        {
            int choice = random.Next(100);
            if (choice < 10)
            {
                try
                {
                    log.Checkpoint();
                }
                catch (WalFailedException)
                {
                    return new InFlight([], long.MaxValue);
                }
            }
            else if (choice < 70)
            {
                long term = log.LastTerm + (random.Next(4) == 0 ? 1 : 0);
                LogRecord[] batch = Enumerable.Range(0, random.Next(1, 9))
                    .Select(i => new LogRecord(log.LastIndex + 1 + i, term, WalTestKit.Payload(log.LastIndex + 1 + i + (step * 1000), random.Next(0, 121))))
                    .ToArray();
                try
                {
                    log.Append(batch);
                }
                catch (WalFailedException)
                {
                    return new InFlight(batch, long.MaxValue);
                }

                model.AddRange(batch);
            }
            else if (choice < 85)
            {
                // Raft only truncates what is not committed, which is always above the snapshot.
                long low = Math.Max(log.FirstIndex, snapshotIndex + 1);
                long from = low + random.NextInt64(0, Math.Max(1, log.LastIndex + 2 - low));
                try
                {
                    log.TruncateSuffix(from);
                }
                catch (WalFailedException)
                {
                    return new InFlight([], from);
                }

                model.RemoveAll(record => record.Index >= from);
            }
            else
            {
                long through = log.FirstIndex - 1 + random.NextInt64(0, log.LastIndex - log.FirstIndex + 2);
                snapshotIndex = Math.Max(snapshotIndex, through);
                try
                {
                    log.TruncatePrefix(through);
                }
                catch (WalFailedException)
                {
                    return new InFlight([], long.MaxValue);
                }

                long first = log.FirstIndex;
                model.RemoveAll(record => record.Index < first);
            }
        }

        return new InFlight([], long.MaxValue);
    }

    private static RecoveryReport CheckAfterCrash(FaultyFileSystem fileSystem, WalOptions options, List<LogRecord> model, InFlight inFlight,
        long snapshotIndex, int restartSeed, CrashMode mode)
    {
        fileSystem.Restart(mode, restartSeed);
        using var log = WriteAheadLog.Open(options);
        List<LogRecord> held = log.Read(log.FirstIndex).ToList();
        var byIndex = model.ToDictionary(record => record.Index);
        long requiredLast = Math.Min(model.Count > 0 ? model[^1].Index : 0, inFlight.TruncateFromIndex - 1);
        foreach (LogRecord record in model.Where(record => record.Index > snapshotIndex && record.Index <= requiredLast))
        {
            Assert.True(record.Index >= log.FirstIndex && record.Index <= log.LastIndex,
                $"{mode}: acknowledged record {record.Index} lost (log holds {log.FirstIndex}..{log.LastIndex})");
        }

        foreach (LogRecord record in held)
        {
            LogRecord expected = byIndex.TryGetValue(record.Index, out LogRecord known)
                ? known
                : inFlight.AppendBatch.Single(candidate => candidate.Index == record.Index);
            WalTestKit.AssertSame(expected, record, mode.ToString());
        }

        Assert.Equal(held.Count > 0 ? held[^1].Term : 0, log.LastTerm);

        // What survived is the new truth: the unacknowledged operation may or may not have happened.
        model.Clear();
        model.AddRange(held);
        return log.LastRecovery;
    }
}
