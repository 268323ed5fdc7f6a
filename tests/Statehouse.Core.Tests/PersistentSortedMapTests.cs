using CsCheck;
using Statehouse.Core.Collections;
using Statehouse.Core.Tests.Support;
using Xunit.Abstractions;

namespace Statehouse.Core.Tests;

/// <summary><see cref="PersistentSortedMap{TValue}"/> against <see cref="SortedDictionary{TKey, TValue}"/>.</summary>
public sealed class PersistentSortedMapTests(ITestOutputHelper output)
{
    private static readonly IComparer<byte[]> Order = ByteKeyComparer.Instance;

    /// <summary>Keys of 0..3 bytes over {0x00, 0x01, 0x7F, 0xFF}: 85 distinct keys, so inserts and removes collide often.</summary>
    private static readonly Gen<byte[]> Key = Gen.OneOf<byte>(0x00, 0x01, 0x7F, 0xFF).Array[0, 3];

    private static readonly Gen<byte[]?> Bound = Gen.Frequency((1, Gen.Const((byte[]?)null)), (4, Key.Select(k => (byte[]?)k)));

    /// <summary>(true, key, value) inserts, (false, key, _) removes.</summary>
    private static readonly Gen<(bool Insert, byte[] Key, int Value)[]> Ops =
        Gen.Select(Gen.Int[0, 2].Select(i => i != 0), Key, Gen.Int[0, 1000]).Array[0, 300];

    [Fact]
    public void SetItemAndRemove_MatchSortedDictionary_WhenAppliedInRandomOrder()
    {
        Gen.Select(Ops, Bound, Bound).Sample(
            (ops, start, end) =>
            {
                var map = PersistentSortedMap<int>.Empty;
                var model = new SortedDictionary<byte[], int>(Order);
                var versions = new List<(PersistentSortedMap<int> Map, List<KeyValuePair<byte[], int>> Expected)>();
                foreach (var (insert, key, value) in ops)
                {
                    if (insert)
                    {
                        map = map.SetItem(key, value);
                        model[key] = value;
                    }
                    else
                    {
                        var before = map;
                        map = map.Remove(key);
                        Assert.Equal(model.Remove(key), !ReferenceEquals(before, map));
                    }

                    map.CheckInvariants();
                    Assert.Equal(model.Count, map.Count);
                    Assert.Equal(model.TryGetValue(key, out var expected), map.TryGetValue(key, out var actual));
                    Assert.Equal(expected, actual);
                    Assert.True(map.Height <= (1.45 * Math.Log2(map.Count + 2)) + 1, $"height {map.Height} for {map.Count} entries");
                    versions.Add((map, model.ToList()));
                }

                // Every old version still holds exactly what it held when it was made.
                foreach (var (old, expectedEntries) in versions)
                {
                    AssertEntries(expectedEntries, old.Enumerate(null, null));
                }

                AssertEntries(model.Where(kv => InRange(kv.Key, start, end)), map.Enumerate(start, end));
            },
            writeLine: output.WriteLine,
            seed: PropertyRuns.Seed,
            iter: PropertyRuns.Iterations(300),
            print: t => $"ops={Structural.Print(t.Item1.Select(o => $"{(o.Insert ? "+" : "-")}{Structural.Bytes(o.Key)}"))} start={Structural.Bytes(t.Item2)} end={Structural.Bytes(t.Item3)}");
    }

    [Fact]
    public void Enumerate_ReturnsKeysInHalfOpenRange_WhenBoundsAreAnyKeys()
    {
        Gen.Select(Key.Array[0, 60], Bound, Bound).Sample(
            (keys, start, end) =>
            {
                var map = PersistentSortedMap<int>.Empty;
                var model = new SortedDictionary<byte[], int>(Order);
                foreach (var key in keys)
                {
                    map = map.SetItem(key, key.Length);
                    model[key] = key.Length;
                }

                AssertEntries(model.Where(kv => InRange(kv.Key, start, end)), map.Enumerate(start, end));
            },
            writeLine: output.WriteLine,
            seed: PropertyRuns.Seed,
            iter: PropertyRuns.Iterations(1_000));
    }

    [Fact]
    public void FromSorted_BuildsBalancedEquivalentMap_WhenEntriesAreStrictlyAscending()
    {
        Key.Array[0, 100].Sample(
            keys =>
            {
                var sorted = keys.Distinct(ByteKeyComparer.Instance).Order(Order).Select((k, i) => KeyValuePair.Create(k, i)).ToList();

                var map = PersistentSortedMap<int>.FromSorted(sorted);

                map.CheckInvariants();
                Assert.Equal(sorted.Count, map.Count);
                AssertEntries(sorted, map.Enumerate(null, null));
                if (sorted.Count >= 5)
                {
                    AssertEntries(sorted.Skip(1).Take(3), map.Enumerate(sorted[1].Key, sorted[4].Key));
                }
            },
            writeLine: output.WriteLine,
            seed: PropertyRuns.Seed,
            iter: PropertyRuns.Iterations(500));
    }

    [Fact]
    public void FromSorted_ThrowsInvariantViolation_WhenKeysRepeatOrDescend()
    {
        Assert.Throws<InvariantViolationException>(() => PersistentSortedMap<int>.FromSorted([new([1], 1), new([1], 2)]));
        Assert.Throws<InvariantViolationException>(() => PersistentSortedMap<int>.FromSorted([new([2], 1), new([1], 2)]));
    }

    [Fact]
    public void Remove_ReturnsSameInstance_WhenKeyIsAbsent()
    {
        var map = PersistentSortedMap<int>.Empty.SetItem([1], 1);

        Assert.Same(map, map.Remove([2]));
        Assert.Same(PersistentSortedMap<int>.Empty, PersistentSortedMap<int>.Empty.Remove([1]));
    }

    [Fact]
    public void SetItem_KeepsOriginalKeyArray_WhenKeyAlreadyPresent()
    {
        byte[] original = [1, 2];
        var map = PersistentSortedMap<int>.Empty.SetItem(original, 1).SetItem([1, 2], 2);

        var entry = Assert.Single(map.Enumerate(null, null));

        Assert.Same(original, entry.Key);
        Assert.Equal(2, entry.Value);
    }

    [Fact]
    public void Enumerate_YieldsNothing_WhenStartIsNotBeforeEnd()
    {
        var map = PersistentSortedMap<int>.Empty.SetItem([1], 1).SetItem([2], 2).SetItem([3], 3);

        Assert.Empty(map.Enumerate([3], [2]));
        Assert.Empty(map.Enumerate([2], [2]));
        Assert.Equal([[2]], map.Enumerate([2], [3]).Select(kv => kv.Key));
    }

    private static bool InRange(byte[] key, byte[]? start, byte[]? end) =>
        (start is null || Order.Compare(key, start) >= 0) && (end is null || Order.Compare(key, end) < 0);

    private static void AssertEntries(IEnumerable<KeyValuePair<byte[], int>> expected, IEnumerable<KeyValuePair<byte[], int>> actual)
    {
        var e = expected.Select(kv => $"{Structural.Bytes(kv.Key)}={kv.Value}").ToList();
        var a = actual.Select(kv => $"{Structural.Bytes(kv.Key)}={kv.Value}").ToList();
        Assert.Equal(e, a);
    }
}
