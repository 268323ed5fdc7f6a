using CsCheck;
using Xunit.Abstractions;

namespace Statehouse.Storage.Tests;

/// <summary>Random operation sequences against a list that models the log. CsCheck prints the seed of a failure.</summary>
public sealed class WalModelPropertyTests(ITestOutputHelper output)
{
    private enum OperationKind
    {
        Append,
        TruncateSuffix,
        TruncatePrefix,
        CrashAndReopen,
    }

    [Fact]
    public void Operations_MatchListModel_WhenAppendTruncateAndCrashAreInterleaved()
    {
        Gen<OperationKind> kind = Gen.Frequency(
            (6, Gen.Const(OperationKind.Append)),
            (1, Gen.Const(OperationKind.TruncateSuffix)),
            (1, Gen.Const(OperationKind.TruncatePrefix)),
            (2, Gen.Const(OperationKind.CrashAndReopen)));
        Gen<Operation> operation = Gen.Select(kind, Gen.Int[1, 6], Gen.Int[0, 90], Gen.Bool, Gen.Double[0, 1], Gen.Int[0, 2],
            (k, count, payloadBytes, bumpTerm, fraction, crashMode) => new Operation(k, count, payloadBytes, bumpTerm, fraction, (CrashMode)crashMode));
        Gen<(int SegmentSizeBytes, bool Preallocate, Operation[] Operations)> scenario =
            Gen.Select(Gen.Int[120, 1500], Gen.Bool, operation.Array[1, 40]);

        scenario.Sample(
            (segmentSizeBytes, preallocate, operations) => Run(segmentSizeBytes, preallocate, operations),
            writeLine: output.WriteLine,
            iter: 300);
    }

    private static void Run(int segmentSizeBytes, bool preallocate, Operation[] operations)
    {
        var fileSystem = new FaultyFileSystem();
        WalOptions options = WalTestKit.MemoryOptions(fileSystem, segmentSizeBytes, preallocate);
        var model = new List<LogRecord>();
        var log = WriteAheadLog.Open(options);
        try
        {
            for (int step = 0; step < operations.Length; step++)
            {
                log = Apply(log, operations[step], model, fileSystem, options, step);
                WalTestKit.AssertHolds(log, model, $"step {step} ({operations[step]})");
            }
        }
        finally
        {
            log.Dispose();
        }
    }

    private static WriteAheadLog Apply(WriteAheadLog log, Operation operation, List<LogRecord> model,
        FaultyFileSystem fileSystem, WalOptions options, int step)
    {
        switch (operation.Kind)
        {
            case OperationKind.Append:
                long term = log.LastTerm + (operation.BumpTerm ? 1 : 0);
                LogRecord[] batch = Enumerable.Range(0, operation.Count)
                    .Select(i => new LogRecord(log.LastIndex + 1 + i, term, WalTestKit.Payload((step * 100) + i, operation.PayloadBytes + i)))
                    .ToArray();
                log.Append(batch);
                model.AddRange(batch);
                return log;

            case OperationKind.TruncateSuffix:
                long from = log.FirstIndex + (long)(operation.Fraction * (log.LastIndex + 1 - log.FirstIndex));
                log.TruncateSuffix(from);
                model.RemoveAll(record => record.Index >= from);
                return log;

            case OperationKind.TruncatePrefix:
                long through = log.FirstIndex - 1 + (long)(operation.Fraction * (log.LastIndex + 1 - log.FirstIndex));
                long firstBefore = log.FirstIndex;
                log.TruncatePrefix(through);
                Assert.InRange(log.FirstIndex, firstBefore, Math.Max(firstBefore, through + 1));
                long first = log.FirstIndex;
                model.RemoveAll(record => record.Index < first);
                return log;

            default:
                // Every operation was durable on return, so any crash mode must give back exactly the model.
                log.Dispose();
                fileSystem.Restart(operation.CrashMode, step);
                var reopened = WriteAheadLog.Open(options);
                Assert.False(reopened.LastRecovery.TailTruncated);
                return reopened;
        }
    }

    private sealed record Operation(OperationKind Kind, int Count, int PayloadBytes, bool BumpTerm, double Fraction, CrashMode CrashMode);
}
