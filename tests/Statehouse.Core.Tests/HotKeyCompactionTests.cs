using Statehouse.Core.Model;
using Statehouse.Core.Store;
using Statehouse.Core.Tests.Modeling;
using Statehouse.Core.Tests.Support;
using static Statehouse.Core.Tests.Support.Driver;

namespace Statehouse.Core.Tests;

/// <summary>
/// Trimming compacted history of one key written many times (issue 11, item 2): the chain keeps exactly what readers at
/// or above the compaction revision can reach, and old tombstones leave the key space.
/// </summary>
public sealed class HotKeyCompactionTests
{
    private const string Default = KeyspaceConfig.DefaultName;

    private static int ChainLength(KeyVersion? head)
    {
        var n = 0;
        for (var v = head; v is not null; v = v.Previous)
        {
            n++;
        }

        return n;
    }

    private static KeyVersion? Head(Driver d, string key) =>
        d.View.Keyspaces[Default].Keys.TryGetValue(B(key), out var head) ? head : null;

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void Compact_KeepsOnlyVersionsAtOrAboveCompactRevisionAndTheOneBelow_WhenOneKeyWasOverwrittenManyTimes(int eventsPerBatch)
    {
        var d = new Driver(new StateMachine { CompactionEventsPerBatch = eventsPerBatch });
        const int writes = 20_000;
        for (var i = 1; i <= writes; i++)
        {
            d.Run(Put("hot", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        d.Run(Put("other", "x"));
        d.Run(new CompactCommand(15_000));

        // Every batch trims up to eventsPerBatch events: write on until all compacted events are gone.
        for (var i = 0; i < (writes / eventsPerBatch) + 2; i++)
        {
            d.Run(Put("other", "y"));
        }

        // Versions 15000..20000 (5001 of them) stay, plus the newest below the compaction revision (14999).
        Assert.Equal(5_002, ChainLength(Head(d, "hot")));
        Assert.Equal(B("15000"), d.View.Get(Default, B("hot"), 15_000)!.Value);
        Assert.Equal(B("20000"), d.View.Get(Default, B("hot"))!.Value);
        Assert.Equal(ErrorCode.Compacted, Checks.Try(() => d.View.Get(Default, B("hot"), 14_999)).Code);
        var events = new List<WatchEvent>();
        Assert.True(d.Machine.History.TryRead(15_000, int.MaxValue, events, out _));
        Assert.Equal(B("14999"), events[0].Previous!.Value);
        Assert.Equal(15_000, events[0].Revision);
    }

    [Fact]
    public void Compact_RemovesKey_WhenItsNewestVersionIsATombstoneBelowCompactRevision()
    {
        var d = new Driver(new StateMachine { CompactionEventsPerBatch = 3 });
        for (var i = 0; i < 10; i++)
        {
            d.Run(Put("gone", "v"));
        }

        d.Run(new DeleteCommand(Default, B("gone")));
        d.Run(Put("kept", "1"));
        d.Run(Put("gone2", "v"));
        d.Run(new DeleteCommand(Default, B("gone2")));
        var deletedAt = d.View.Revision;

        // Compact exactly at the second delete: its tombstone is still an event a watcher may ask for.
        d.Run(new CompactCommand(deletedAt));
        for (var i = 0; i < 10; i++)
        {
            d.Run(Put("kept", "2"));
        }

        Assert.Null(Head(d, "gone"));
        Assert.NotNull(Head(d, "gone2"));
        Assert.Equal(2, ChainLength(Head(d, "gone2")));
        Assert.Equal(1, d.View.TotalKeys);
    }

    [Fact]
    public void Compact_KeepsPreviousValues_WhenATransactionWroteTheHotKeyTwiceBelowAndAtCompactRevision()
    {
        var d = new Driver(new StateMachine { CompactionEventsPerBatch = 1 });
        d.Run(Put("k", "a"));
        d.Batch(Put("k", "b"), Put("k", "c"));
        d.Run(new TxnCommand([], [Put("k", "d"), Put("k", "e")], []));
        var atCompact = d.View.Revision;
        d.Run(Put("k", "f"));
        d.Run(new CompactCommand(atCompact));
        for (var i = 0; i < 20; i++)
        {
            d.Run(Put("z", "1"));
        }

        // At the compaction revision: both transaction writes and the version before them (c).
        Assert.Equal(4, ChainLength(Head(d, "k")));
        var events = new List<WatchEvent>();
        Assert.True(d.Machine.History.TryRead(atCompact, int.MaxValue, events, out _));
        Assert.Equal(B("c"), events[0].Previous!.Value);
        Assert.Equal(B("d"), events[1].Previous!.Value);
    }
}
