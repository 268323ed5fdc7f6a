using System.Diagnostics;
using System.Globalization;

namespace Statehouse.Checking;

/// <summary>
/// Shrinks a non-linearizable history of one key to a small part that is still not linearizable, removing only
/// operations whose removal cannot turn a linearizable history into a non-linearizable one — so the part shown is a
/// genuine witness, not an artifact of the shrinking:
/// <list type="number">
/// <item>reads and compare-and-sets that did not swap change no state: if the whole history had a linearization, so
/// has the rest (drop them from it);</item>
/// <item>a write whose value no remaining operation observed, once no failed compare-and-set remains: in a
/// linearization, nothing between it and the next write read its value, so dropping it changes no answer.</item>
/// </list>
/// Each removal is kept only if the check still fails (greedy, chunks then single operations, within a time budget).
/// </summary>
public static class HistoryShrinker
{
    public static IReadOnlyList<KvOperation> Shrink(IReadOnlyList<KvOperation> failing, string? initialValue, TimeSpan budget)
    {
        var clock = Stopwatch.StartNew();
        var current = failing.ToList();
        var stepBudget = TimeSpan.FromSeconds(2);
        bool changed;
        do
        {
            changed = false;
            var noFailedCas = !current.Any(o => o.Kind == OpKind.CompareAndSet && !o.Unknown && !o.Succeeded);
            var observed = current.Where(o => o.Kind == OpKind.Read && !o.Unknown).Select(o => o.ReadValue)
                .Concat(current.Where(o => o.Kind == OpKind.CompareAndSet).Select(o => o.Expected))
                .Where(v => v is not null).ToHashSet(StringComparer.Ordinal);
            bool Removable(KvOperation o) =>
                o.Kind == OpKind.Read
                || (o.Kind == OpKind.CompareAndSet && !o.Unknown && !o.Succeeded)
                || (noFailedCas && o.Kind is OpKind.Write or OpKind.CompareAndSet && !observed.Contains(o.Value!));
            var candidates = current.Where(Removable).ToList();
            for (var chunk = Math.Max(1, candidates.Count / 2); chunk >= 1 && clock.Elapsed < budget; chunk = chunk == 1 ? 0 : chunk / 2)
            {
                for (var start = candidates.Count - chunk; start >= 0 && clock.Elapsed < budget; start -= chunk)
                {
                    var drop = candidates.Skip(start).Take(chunk).ToHashSet();
                    var candidate = current.Where(o => !drop.Contains(o)).ToList();
                    if (candidate.Count > 0 && drop.Count > 0 && LinearizabilityChecker.Check(candidate, initialValue, stepBudget).Verdict == Verdict.NotLinearizable)
                    {
                        current = candidate;
                        candidates.RemoveRange(start, chunk);
                        changed = true;
                    }
                }
            }
        }
        while (changed && clock.Elapsed < budget);

        return current;
    }

    /// <summary>One operation as a report line: client, times in ms, what it did and what it saw.</summary>
    public static string Describe(KvOperation op)
    {
        var invoked = (op.Invoked / 1e6).ToString("F3", CultureInfo.InvariantCulture);
        var returned = op.Unknown || op.Returned == long.MaxValue ? "?" : (op.Returned / 1e6).ToString("F3", CultureInfo.InvariantCulture);
        var what = op.Kind switch
        {
            OpKind.Read => op.Unknown ? "read → ?" : $"read → {op.ReadValue ?? "(absent)"}",
            OpKind.Write => $"write {op.Value}",
            OpKind.Append => $"append {op.Value}",
            _ => $"cas {op.Expected} → {op.Value}: {(op.Unknown ? "?" : op.Succeeded ? "swapped" : "refused")}",
        };
        return $"client {op.Client} [{invoked} ms, {returned} ms] {op.Key} {what}{(op.Unknown ? " (outcome unknown)" : "")}";
    }
}
