using Statehouse.Storage.Groups;

namespace Statehouse.Storage.Tests.Groups;

internal static class GroupLogTestKit
{
    private static GroupEntry E(ulong index, ulong term, byte data) => new(index, term, 1, new[] { data });

    public static string Describe(GroupLogState state) => string.Join("\n", state.Groups.OrderBy(g => g.Id).Select(g =>
        $"{g.Id}: hs {g.Term}/{g.Vote}/{g.Commit} compact {g.CompactIndex}/{g.CompactTerm} entries " +
        string.Join(",", Enumerable.Range(0, g.EntryCount).Select(i => g.GetEntry(g.FirstIndex + (ulong)i)).Select(e => $"{e.Index}:{e.Term}:{e.Data.Span[0]}"))));

    /// <summary>Histories a correct host could write: leaders that append, followers that lose suffixes, snapshots, rewrites.</summary>
    public static List<GroupOperation[]> RandomHistory(int seed, int batchCount, int groups)
    {
        var random = new Random(seed);
        var state = new GroupLogState();
        var batches = new List<GroupOperation[]>();
        for (var lsn = 1; lsn <= batchCount; lsn++)
        {
            // Never an empty batch: a log writes none, so LSN n is the n-th batch.
            var batch = new List<GroupOperation>();
            var first = (ulong)random.Next(1, groups + 1);
            AddChange(random, state.Find(first), first, batch);
            foreach (var id in Enumerable.Range(1, groups).Select(g => (ulong)g).Where(g => g != first && random.Next(3) == 0))
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
