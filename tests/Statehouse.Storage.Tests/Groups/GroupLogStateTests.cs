using Statehouse.Storage.Groups;

namespace Statehouse.Storage.Tests.Groups;

public sealed class GroupLogStateTests
{
    private static GroupEntry E(ulong index, ulong term, byte data = 0) => new(index, term, 1, new[] { data });

    private static AppendEntriesOperation Append(ulong group, ulong first, params ulong[] terms) =>
        new(group, terms.Select((t, i) => E(first + (ulong)i, t, (byte)(first + (ulong)i))).ToArray());

    private static GroupLogState With(params GroupOperation[][] batches)
    {
        var state = new GroupLogState();
        foreach (var batch in batches)
        {
            state.Apply(state.LastLsn + 1, batch);
        }

        return state;
    }

    [Fact]
    public void Apply_KeepsEntriesHardStateAndPins_PerGroup()
    {
        var state = With(
            [new HardStateOperation(1, 1, 1, 0), Append(1, 1, 1, 1, 1), new HardStateOperation(2, 3, 0, 0)],
            [Append(1, 4, 1), new HardStateOperation(1, 1, 1, 3)]);

        var group = state.Find(1)!;
        Assert.Equal((1UL, 4UL, 3UL), (group.FirstIndex, group.LastIndex, group.Commit));
        Assert.True(group.TryGetTerm(0, out var zero) && zero == 0);
        Assert.Equal(1L, group.GetEntryLsn(3));
        Assert.Equal(2L, group.GetEntryLsn(4));
        Assert.Equal(1L, group.Pin);
        Assert.Equal(4 * (1 + StoredGroup.EntryOverheadBytes), group.RetainedBytes);
        var entries = new List<GroupEntry>();
        group.GetEntries(2, 5, 2, entries);
        Assert.Equal([2UL, 3UL], entries.Select(e => e.Index));
        Assert.Equal(1L, state.MinimumPin());
        Assert.Equal(3UL, state.Find(2)!.Term);
    }

    [Fact]
    public void Apply_ReplacesAConflictingSuffixAboveCommit()
    {
        var state = With(
            [new HardStateOperation(1, 1, 1, 1), Append(1, 1, 1, 1, 1)],
            [new HardStateOperation(1, 2, 2, 1), Append(1, 2, 2)]);

        var group = state.Find(1)!;
        Assert.Equal(2UL, group.LastIndex);
        Assert.True(group.TryGetTerm(2, out var term) && term == 2);
    }

    public static TheoryData<string, GroupOperation[]> Violations => new()
    {
        { "gap", [Append(1, 5, 2)] },
        { "term decreases in the log", [Append(1, 4, 1)] },
        { "committed entry replaced", [Append(1, 2, 3)] },
        { "term decreases", [new HardStateOperation(1, 1, 1, 2)] },
        { "vote changes within a term", [new HardStateOperation(1, 2, 9, 2)] },
        { "commit decreases", [new HardStateOperation(1, 2, 1, 1)] },
        { "commit beyond the log", [new HardStateOperation(1, 2, 1, 4)] },
        { "entries beyond the term", [Append(1, 4, 3)] },
        { "compaction of a committed entry with another term", [new CompactOperation(1, 2, 1)] },
        { "compaction with a commit below it", [new CompactOperation(1, 3, 2)] },
        { "append below the compaction point", [new CompactOperation(1, 1, 1), Append(1, 1, 1)] },
    };

    [Theory]
    [MemberData(nameof(Violations))]
    public void Apply_RefusesABatchThatBreaksARule_AndChangesNothing(string rule, GroupOperation[] violation)
    {
        var state = With([new HardStateOperation(1, 2, 1, 2), Append(1, 1, 1, 2, 2)]);
        var before = Describe(state);

        // A valid change of another group rides in the same batch: it must not land either.
        GroupOperation[] batch = [new HardStateOperation(7, 1, 0, 0), .. violation];
        var error = Assert.Throws<GroupLogViolationException>(() => state.Apply(2, batch));

        Assert.Equal(2L, error.Lsn);
        Assert.Equal(1UL, error.Group);
        Assert.Equal(before, Describe(state));
        Assert.Null(state.Find(7));
        Assert.NotEmpty(rule);
    }

    [Fact]
    public void Compact_DropsCoveredEntries_OrEmptiesTheLogForAnInstalledSnapshot()
    {
        var state = With([new HardStateOperation(1, 2, 1, 2), Append(1, 1, 1, 2, 2)], [new CompactOperation(1, 2, 2)]);
        var group = state.Find(1)!;
        Assert.Equal((3UL, 3UL, 2L), (group.FirstIndex, group.LastIndex, group.CompactLsn));

        // A leader's snapshot at 3 of term 3 conflicts with the uncommitted entry 3 of term 2: the log is replaced.
        state.Apply(3, [new CompactOperation(1, 3, 3), new HardStateOperation(1, 3, 0, 3)]);
        Assert.Equal((4UL, 3UL, 0), (group.FirstIndex, group.LastIndex, group.EntryCount));
        Assert.True(group.TryGetTerm(3, out var term) && term == 3);
        Assert.False(group.TryGetTerm(2, out _));
    }

    [Fact]
    public void Rewrite_MovesAGroupsPinToTheNewBatch()
    {
        var state = With(
            [new HardStateOperation(1, 1, 1, 1), Append(1, 1, 1, 1)],
            [new CompactOperation(1, 1, 1)],
            [new HardStateOperation(2, 1, 1, 0)]);
        Assert.Equal(1L, state.MinimumPin());

        var group = state.Find(1)!;
        state.Apply(4, [new CompactOperation(1, 1, 1), new AppendEntriesOperation(1, [group.GetEntry(2)]), new HardStateOperation(1, 1, 1, 1)]);

        Assert.Equal(4L, group.Pin);
        Assert.Equal(3L, state.MinimumPin());
    }

    [Fact]
    public void Remove_ForgetsTheGroup_AndANewOneStartsEmpty()
    {
        var state = With([new HardStateOperation(1, 5, 1, 1), Append(1, 1, 5)], [new RemoveGroupOperation(1), new HardStateOperation(1, 1, 0, 0)]);

        var group = state.Find(1)!;
        Assert.Equal((1UL, 0UL), (group.Term, group.LastIndex));
    }

    [Fact]
    public void Replay_FromAnyLsnUpToTheMinimumPin_RebuildsTheSameState_AndFromBeyondItDoesNot()
    {
        for (var seed = 1; seed <= 200; seed++)
        {
            var batches = RandomHistory.Generate(seed, batchCount: 120, groups: 4);
            var live = new GroupLogState();
            for (var i = 0; i < batches.Count; i++)
            {
                live.Apply(i + 1, batches[i]);
            }

            var expected = Describe(live);
            var minimumPin = Math.Min(live.MinimumPin(), batches.Count + 1);
            foreach (var start in new[] { 1L, minimumPin / 2 + 1, minimumPin }.Distinct())
            {
                Assert.Equal(expected, Describe(Replay(batches, start)));
            }

            // Beyond the pin, a record some group needs is gone: the replay fails or rebuilds something else.
            if (minimumPin <= batches.Count)
            {
                string? beyond;
                try
                {
                    beyond = Describe(Replay(batches, minimumPin + 1));
                }
                catch (GroupLogViolationException)
                {
                    beyond = null;
                }

                Assert.NotEqual(expected, beyond);
            }
        }
    }

    private static GroupLogState Replay(List<GroupOperation[]> batches, long start)
    {
        var state = new GroupLogState();
        state.BeginReplay(start);
        for (var lsn = start; lsn <= batches.Count; lsn++)
        {
            state.Apply(lsn, batches[(int)lsn - 1]);
        }

        state.EndReplay();
        return state;
    }

    private static string Describe(GroupLogState state) => string.Join("\n", state.Groups.OrderBy(g => g.Id).Select(g =>
        $"{g.Id}: hs {g.Term}/{g.Vote}/{g.Commit} compact {g.CompactIndex}/{g.CompactTerm} entries " +
        string.Join(",", Enumerable.Range(0, g.EntryCount).Select(i => g.GetEntry(g.FirstIndex + (ulong)i)).Select(e => $"{e.Index}:{e.Term}:{e.Data.Span[0]}"))));

    /// <summary>Histories a correct host could write: leaders that append, followers that lose suffixes, snapshots, rewrites.</summary>
    private static class RandomHistory
    {
        public static List<GroupOperation[]> Generate(int seed, int batchCount, int groups)
        {
            var random = new Random(seed);
            var state = new GroupLogState();
            var batches = new List<GroupOperation[]>();
            for (var lsn = 1; lsn <= batchCount; lsn++)
            {
                var batch = new List<GroupOperation>();
                foreach (var id in Enumerable.Range(1, groups).Select(g => (ulong)g).Where(_ => random.Next(3) == 0))
                {
                    AddChange(random, state.Find(id), id, batch);
                }

                var operations = batch.ToArray();
                state.Apply(lsn, operations);
                batches.Add(operations);
            }

            return batches;
        }

        private static void AddChange(Random random, StoredGroup? group, ulong id, List<GroupOperation> batch)
        {
            var term = group?.Term ?? 0;
            var commit = group?.Commit ?? 0;
            var last = group?.LastIndex ?? 0;
            var compact = group?.CompactIndex ?? 0;
            switch (random.Next(10))
            {
                case < 5:
                {
                    // Append (a new term now and then), possibly replacing an uncommitted suffix; commit some.
                    var newTerm = term == 0 || random.Next(4) == 0 ? term + 1 : term;
                    var from = last > commit && random.Next(3) == 0 ? commit + 1 + (ulong)random.Next((int)(last - commit)) : last + 1;
                    from = Math.Max(from, compact + 1);
                    var count = 1 + random.Next(4);
                    var entries = Enumerable.Range(0, count).Select(i => E(from + (ulong)i, newTerm, (byte)random.Next(256))).ToArray();
                    var newLast = from + (ulong)count - 1;
                    var newCommit = Math.Max(commit, Math.Min(newLast, commit + (ulong)random.Next(count + 1)));
                    batch.Add(new AppendEntriesOperation(id, entries));
                    batch.Add(new HardStateOperation(id, newTerm, newTerm == term ? group?.Vote ?? 0 : 1, newCommit));
                    break;
                }

                case < 7 when group is not null && commit > compact:
                {
                    // The host took a snapshot at an applied index.
                    var at = compact + 1 + (ulong)random.Next((int)(commit - compact));
                    group.TryGetTerm(at, out var atTerm);
                    batch.Add(new CompactOperation(id, at, atTerm));
                    break;
                }

                case 7 when group is not null:
                {
                    // A snapshot from a leader at a later term, beyond this member's log.
                    var at = last + 1 + (ulong)random.Next(3);
                    batch.Add(new CompactOperation(id, at, term + 1));
                    batch.Add(new HardStateOperation(id, term + 1, 0, at));
                    break;
                }

                case 8 when group is not null:
                {
                    // A rewrite of the whole group into this batch.
                    if (group.CompactIndex > 0)
                    {
                        batch.Add(new CompactOperation(id, group.CompactIndex, group.CompactTerm));
                    }

                    if (group.EntryCount > 0)
                    {
                        batch.Add(new AppendEntriesOperation(id, Enumerable.Range(0, group.EntryCount).Select(i => group.GetEntry(group.FirstIndex + (ulong)i)).ToArray()));
                    }

                    batch.Add(new HardStateOperation(id, group.Term, group.Vote, group.Commit));
                    break;
                }

                case 9 when group is not null && random.Next(4) == 0:
                    batch.Add(new RemoveGroupOperation(id));
                    break;

                default:
                    batch.Add(new HardStateOperation(id, term + 1, 0, commit));
                    break;
            }
        }
    }
}
