using Statehouse.Chaos.Runner;
using Statehouse.Storage;

namespace Statehouse.Chaos.Tests;

/// <summary>The damage matrix tool finds the frames a real WAL wrote and damages exactly what it says.</summary>
public sealed class DiskDamageTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "statehouse-damage-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private List<string> WriteLog(int records, long segmentBytes)
    {
        using (var wal = WriteAheadLog.Open(new WalOptions { Directory = Path.Combine(_data, "wal"), SegmentSizeBytes = segmentBytes, SyncMode = WalSyncMode.None }))
        {
            for (var i = 1; i <= records; i++)
            {
                wal.Append([new LogRecord(i, 1, new byte[100])]);
            }
        }

        return Directory.GetFiles(Path.Combine(_data, "wal"), "wal-*.seg").Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public void Frames_ListsEveryRecordOfTheNewestSegment_InOrder_WhenTheSegmentIsPreallocated()
    {
        var segments = WriteLog(20, 1 << 20);

        var frames = DiskDamage.Frames(segments[^1]);

        Assert.Single(segments);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (ulong)i), frames.Select(f => f.Index));
        Assert.True(new FileInfo(segments[^1]).Length > frames[^1].Offset + frames[^1].Length, "preallocated beyond the last frame");
    }

    [Theory]
    [InlineData("cut-last-frame:8", 19)]
    [InlineData("flip-frame:1", 19)]
    [InlineData("flip-frame:3", 17)]
    public void Apply_DamagesTheNamedFrame_WhenTheCaseTargetsFrames(string damage, int framesLeftIntact)
    {
        var segments = WriteLog(20, 1 << 20);
        var before = File.ReadAllBytes(segments[^1]);

        var done = DiskDamage.Apply(_data, damage, new Random(1));

        Assert.NotNull(done);
        var after = File.ReadAllBytes(segments[^1]);
        var firstDifference = Enumerable.Range(0, Math.Min(before.Length, after.Length)).FirstOrDefault(i => before[i] != after[i], -1);
        var frames = DiskDamage.Frames(segments[^1]);
        var boundary = frames[framesLeftIntact - 1].Offset + frames[framesLeftIntact - 1].Length;
        Assert.True(firstDifference == -1 ? after.Length < before.Length : firstDifference >= boundary, $"{done}: damage at {firstDifference}, intact frames end at {boundary}");
    }

    [Fact]
    public void Apply_DeletesOrTruncatesSegments_AndSaysNotApplicableWhenThereIsNothingToDamage()
    {
        var segments = WriteLog(200, 4096);
        Assert.True(segments.Count >= 3);

        Assert.Contains("deleted", DiskDamage.Apply(_data, "delete-middle-segment", new Random(1)), StringComparison.Ordinal);
        Assert.False(File.Exists(segments[segments.Count / 2]));
        Assert.Contains("to 0 bytes", DiskDamage.Apply(_data, "truncate-newest-to-0", new Random(1)), StringComparison.Ordinal);
        Assert.Equal(0, new FileInfo(segments[^1]).Length);
        Assert.Null(DiskDamage.Apply(_data, "delete-newest-snapshot", new Random(1)));
        Assert.All(DiskDamage.Cases, c => Assert.Matches("^[a-z0-9-]+(:[0-9]+)?$", c));
    }
}
