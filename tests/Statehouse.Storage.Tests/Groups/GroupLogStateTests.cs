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
    public void Create_RecordsTheDescriptorAndPinsIt_OnceUntilRemoved_AndARewriteRestatesIt()
    {
        var state = With([new CreateGroupOperation(1, 7, new byte[] { 1 }), new HardStateOperation(1, 1, 7, 0)], [new HardStateOperation(2, 1, 0, 0)]);
        var group = state.Find(1)!;
        Assert.Equal((7UL, 1L), (group.Member, group.CreateLsn));
        Assert.Equal(new byte[] { 1 }, group.Bootstrap.ToArray());
        Assert.Equal(1L, group.Pin);

        // Created again while held: refused, nothing changes.
        var error = Assert.Throws<GroupLogViolationException>(() => state.Apply(3, [new HardStateOperation(1, 2, 7, 0), new CreateGroupOperation(1, 8, default)]));
        Assert.Contains("created again", error.Reason, StringComparison.Ordinal);
        Assert.Equal(1UL, group.Term);

        // A rewrite restates it (same member, first in the batch) and moves the pin.
        state.Apply(3, [new CreateGroupOperation(1, 7, group.Bootstrap), new HardStateOperation(1, group.Term, group.Vote, group.Commit)]);
        Assert.Equal((3L, 3L), (group.CreateLsn, group.Pin));

        // After a removal the group may be created again, as another member.
        state.Apply(4, [new RemoveGroupOperation(1), new CreateGroupOperation(1, 9, default)]);
        Assert.Equal(9UL, state.Find(1)!.Member);
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
            var batches = GroupLogTestKit.RandomHistory(seed, batchCount: 120, groups: 4);
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

    private static string Describe(GroupLogState state) => GroupLogTestKit.Describe(state);
}
