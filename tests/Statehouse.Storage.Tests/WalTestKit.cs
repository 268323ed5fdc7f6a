namespace Statehouse.Storage.Tests;

/// <summary>Helpers shared by the WAL tests.</summary>
internal static class WalTestKit
{
    public const string MemoryDirectory = "/mem/wal";

    /// <summary>Deterministic, non-zero-heavy payload bytes derived from the index.</summary>
    public static byte[] Payload(long index, int lengthBytes)
    {
        var payload = new byte[lengthBytes];
        new Random(unchecked((int)index * 7919 + lengthBytes)).NextBytes(payload);
        return payload;
    }

    public static LogRecord[] Batch(long firstIndex, int count, long term, int payloadBytes) =>
        Enumerable.Range(0, count)
            .Select(i => new LogRecord(firstIndex + i, term, Payload(firstIndex + i, payloadBytes)))
            .ToArray();

    public static WalOptions Options(string directory, long segmentSizeBytes = 64L << 20, bool preallocate = true,
        IStorageFileSystem? fileSystem = null, WalSyncMode syncMode = WalSyncMode.FDataSync, int highWaterIntervalMs = 0) =>
        new()
        {
            // 0: the manifest is written inside every append, so crash tests stay deterministic and cover its writes.
            HighWaterCheckpointIntervalMs = highWaterIntervalMs,
            Directory = directory,
            SegmentSizeBytes = segmentSizeBytes,
            PreallocateSegments = preallocate,
            FileSystem = fileSystem ?? PhysicalFileSystem.Instance,
            SyncMode = syncMode,
        };

    public static WalOptions MemoryOptions(FaultyFileSystem fileSystem, long segmentSizeBytes = 512, bool preallocate = true, int highWaterIntervalMs = 0) =>
        Options(MemoryDirectory, segmentSizeBytes, preallocate, fileSystem, highWaterIntervalMs: highWaterIntervalMs);

    /// <summary>Asserts the log holds exactly <paramref name="expected"/>, byte for byte.</summary>
    public static void AssertHolds(WriteAheadLog log, IReadOnlyList<LogRecord> expected, string context = "")
    {
        long expectedFirst = expected.Count > 0 ? expected[0].Index : log.LastIndex + 1;
        Assert.True(expected.Count == 0 || log.FirstIndex == expectedFirst, $"{context} FirstIndex {log.FirstIndex}, expected {expectedFirst}");
        long expectedLast = expected.Count > 0 ? expected[^1].Index : log.LastIndex;
        Assert.True(log.LastIndex == expectedLast, $"{context} LastIndex {log.LastIndex}, expected {expectedLast}");
        long expectedTerm = expected.Count > 0 ? expected[^1].Term : 0;
        Assert.True(log.LastTerm == expectedTerm, $"{context} LastTerm {log.LastTerm}, expected {expectedTerm}");
        var actual = log.Read(log.FirstIndex).ToList();
        Assert.True(actual.Count == expected.Count, $"{context} read {actual.Count} records, expected {expected.Count}");
        for (int i = 0; i < expected.Count; i++)
        {
            AssertSame(expected[i], actual[i], context);
        }
    }

    public static void AssertSame(LogRecord expected, LogRecord actual, string context = "")
    {
        Assert.True(expected.Index == actual.Index, $"{context} index {actual.Index}, expected {expected.Index}");
        Assert.True(expected.Term == actual.Term, $"{context} term {actual.Term} at {actual.Index}, expected {expected.Term}");
        Assert.True(expected.Payload.Span.SequenceEqual(actual.Payload.Span), $"{context} payload differs at index {actual.Index}");
    }

    /// <summary>Byte offset of the frame of <paramref name="index"/> in a segment of equal-sized frames.</summary>
    public static long FrameOffset(long segmentFirstIndex, long index, int payloadBytes) =>
        16 + ((index - segmentFirstIndex) * (24 + payloadBytes));

    public static string SegmentPath(string directory, long firstIndex) =>
        Path.Combine(directory, $"wal-{firstIndex:D20}.seg");

    public static string ManifestPath(string directory) => Path.Combine(directory, "wal.manifest");

    /// <summary>
    /// Runs <paramref name="lastAppend"/> on an open log and then puts back the manifest as it was before it, as if
    /// the process had died before the high-water checkpoint covered that append: the append was never acknowledged,
    /// so recovery may cut it. (Without this the damage below is to an acknowledged append: data loss.)
    /// </summary>
    public static void AppendUnrecorded(WriteAheadLog log, string directory, Action lastAppend)
    {
        byte[] before = File.ReadAllBytes(ManifestPath(directory));
        lastAppend();
        log.Dispose();
        File.WriteAllBytes(ManifestPath(directory), before);
    }
}
