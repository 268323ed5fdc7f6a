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
        IStorageFileSystem? fileSystem = null, WalSyncMode syncMode = WalSyncMode.FDataSync) =>
        new()
        {
            Directory = directory,
            SegmentSizeBytes = segmentSizeBytes,
            PreallocateSegments = preallocate,
            FileSystem = fileSystem ?? PhysicalFileSystem.Instance,
            SyncMode = syncMode,
        };

    public static WalOptions MemoryOptions(FaultyFileSystem fileSystem, long segmentSizeBytes = 512, bool preallocate = true) =>
        Options(MemoryDirectory, segmentSizeBytes, preallocate, fileSystem);

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
}
