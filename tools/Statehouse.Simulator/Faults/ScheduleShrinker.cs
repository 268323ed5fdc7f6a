using System.Diagnostics;
using Statehouse.Simulator.Checks;
using Statehouse.Simulator.Running;

namespace Statehouse.Simulator.Faults;

/// <summary>The outcome of shrinking: a sub-schedule that still breaks the same invariant, and what it cost.</summary>
internal sealed record ShrinkResult(IReadOnlyList<Fault> Schedule, Violation Violation, string TraceHash, int Runs, bool BudgetSpent);

/// <summary>
/// Shrinks a failing run's fault schedule by re-running the same seed with fewer faults (delta debugging: drop chunks
/// of halving size, then single faults, keeping every removal after which the run still breaks the same invariant).
/// The other streams (network, cores, clients) are seeded apart from the schedule, so a fault removed does not move
/// the others; the run itself does change (fewer crashes, other messages), which is why each candidate is re-run.
/// </summary>
internal static class ScheduleShrinker
{
    public static ShrinkResult Shrink(RunConfig config, IReadOnlyList<Fault> schedule, Violation violation, TimeSpan budget, int maxRuns = 2_000)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(violation);
        var clock = Stopwatch.StartNew();
        var runs = 0;

        // Faults that would start after the violation never ran: the run without them is the same run.
        var current = schedule.Where(f => f.AtUs <= violation.AtUs).ToList();
        var best = (Violation: violation, Hash: string.Empty);
        if (current.Count < schedule.Count)
        {
            var check = Try(current);
            if (check is null)
            {
                current = [.. schedule];
            }
            else
            {
                best = check.Value;
            }
        }

        bool Spent() => clock.Elapsed > budget || runs >= maxRuns;

        (Violation Violation, string Hash)? Try(List<Fault> candidate)
        {
            runs++;
            var result = SimulationRunner.Run(config, candidate);
            return result.Violation is { } v && v.Invariant == violation.Invariant ? (v, result.TraceHash) : null;
        }

        for (var chunk = Math.Max(1, current.Count / 2); chunk >= 1 && !Spent(); chunk /= 2)
        {
            var changed = true;
            while (changed && !Spent())
            {
                changed = false;
                for (var start = current.Count - chunk; start >= 0 && !Spent(); start -= chunk)
                {
                    var candidate = current.Take(start).Concat(current.Skip(start + chunk)).ToList();
                    if (Try(candidate) is { } failing)
                    {
                        current = candidate;
                        best = failing;
                        changed = true;
                        start = Math.Min(start, current.Count - chunk + 1);
                    }
                }
            }
        }

        if (best.Hash.Length == 0)
        {
            // Nothing could be removed: report the original run (re-run once for its hash).
            var again = SimulationRunner.Run(config, current);
            runs++;
            best = (again.Violation ?? violation, again.TraceHash);
        }

        return new ShrinkResult(current, best.Violation, best.Hash, runs, Spent());
    }
}
