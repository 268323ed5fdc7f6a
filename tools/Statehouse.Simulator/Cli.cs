using System.Globalization;
using Statehouse.Raft;
using Statehouse.Replication;
using Statehouse.Simulator.Faults;
using Statehouse.Simulator.Running;

namespace Statehouse.Simulator;

/// <summary>The command line's work: batches of seeds with progress, the report of a failure (shrunk), the planted-bug table.</summary>
internal static class Cli
{
    /// <summary>Validated settings, or null after printing why not.</summary>
    public static SimulatorSettings? Settings(int nodes, int groups, string? plant, string? mix, double? seconds, string? engine = null)
    {
        if (nodes is < 1 or > 9 || groups is < 1 or > 16)
        {
            Console.Error.WriteLine("error: --nodes must be 1..9 and --groups 1..16.");
            return null;
        }

        var simEngine = SimEngine.Model;
        if (engine is not null && !Enum.TryParse(engine, ignoreCase: true, out simEngine))
        {
            Console.Error.WriteLine($"error: unknown engine '{engine}' (model or host).");
            return null;
        }

        var bug = PlantedBug.None;
        var hostBug = HostPlantedBug.None;
        if (plant is not null)
        {
            if (PlantHunt.Parse(plant) is { } core)
            {
                bug = core;
            }
            else if (PlantHunt.ParseHost(plant) is { } host)
            {
                if (engine is not null && simEngine != SimEngine.Host)
                {
                    Console.Error.WriteLine($"error: '{plant}' is a host bug: it needs --engine host.");
                    return null;
                }

                hostBug = host;
                simEngine = SimEngine.Host;
            }
            else
            {
                Console.Error.WriteLine($"error: unknown planted bug '{plant}' (--plant list shows them).");
                return null;
            }
        }

        FaultMix? faultMix = null;
        if (mix is not null)
        {
            if (!Enum.TryParse<FaultMix>(mix, ignoreCase: true, out var m))
            {
                Console.Error.WriteLine($"error: unknown mix '{mix}' ({string.Join(", ", Enum.GetNames<FaultMix>())}).");
                return null;
            }

            faultMix = m;
        }

        if (seconds is { } s && (s < 0.5 || s > 3600))
        {
            Console.Error.WriteLine("error: --seconds must be 0.5..3600.");
            return null;
        }

        return new SimulatorSettings(nodes, groups, bug, faultMix, seconds is { } t ? (long)(t * 1e6) : null, simEngine, hostBug);
    }

    /// <summary>Runs a batch; on failure shrinks and prints the shortest schedule. Returns the exit code.</summary>
    public static int RunSeeds(SimulatorSettings settings, long first, int seeds, int jobs, int shrinkSeconds, IReadOnlySet<int>? keep, bool verbose, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"simulating seeds {first}..{first + seeds - 1}: {settings.Engine} engine, {settings.Nodes} nodes, {settings.Groups} groups{PlantText(settings)}{(settings.Mix is { } m ? $", mix {m}" : string.Empty)}, {jobs} job(s)"));
        RunResult? failure;
        BatchResult? batch = null;
        if (keep is not null || verbose)
        {
            failure = null;
            for (var seed = first; seed < first + seeds && failure is null; seed++)
            {
                var result = settings.Run(seed, keep);
                output.WriteLine(string.Create(c, $"seed {seed}: {(result.Passed ? "ok" : "FAIL")} trace {result.TraceHash} ({result.Events} events, {result.SimulatedUs / 1e6:F1} simulated s, {result.WallSeconds:F2} s, {result.FaultsInjected} faults)"));
                if (verbose)
                {
                    output.WriteLine("  " + settings.Prepare(seed).Config.Describe());
                    output.WriteLine("  " + string.Join(", ", result.Stats.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}")));
                }

                failure = result.Passed ? null : result;
            }
        }
        else
        {
            batch = SeedBatch.Run(settings, first, seeds, jobs, output, TimeSpan.FromSeconds(5));
            failure = batch.FirstFailure;
            output.WriteLine(string.Create(c, $"{batch.SeedsRun} seeds in {batch.WallSeconds:F1} s: {batch.SeedsPerSecond:F2} seeds/s, {batch.Speedup:F1} simulated s per wall s, {batch.FaultsInjected} faults injected, {batch.Events} events"));
        }

        if (failure is null)
        {
            output.WriteLine("result: every seed passed");
            return 0;
        }

        ReportFailure(settings, failure, keep, shrinkSeconds, output);
        return 1;
    }

    private static void ReportFailure(SimulatorSettings settings, RunResult failure, IReadOnlySet<int>? keep, int shrinkSeconds, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        var (config, schedule) = settings.Prepare(failure.Seed);
        var faults = keep is null ? schedule : schedule.Where(f => keep.Contains(f.Index)).ToList();
        output.WriteLine($"FAIL seed {failure.Seed}: {failure.Violation}");
        output.WriteLine($"run: {config.Describe()}");
        IReadOnlyList<Fault> shortest = faults;
        var violation = failure.Violation!;
        if (shrinkSeconds > 0 && faults.Count > 0)
        {
            output.WriteLine(string.Create(c, $"shrinking its {faults.Count} faults (budget {shrinkSeconds} s)..."));
            var shrunk = ScheduleShrinker.Shrink(config, faults, violation, TimeSpan.FromSeconds(shrinkSeconds));
            shortest = shrunk.Schedule;
            violation = shrunk.Violation;
            output.WriteLine(string.Create(c, $"shortest failing schedule: {shortest.Count} of {faults.Count} faults ({shrunk.Runs} runs{(shrunk.BudgetSpent ? ", budget spent" : string.Empty)}):"));
        }
        else
        {
            output.WriteLine($"schedule ({faults.Count} faults):");
        }

        foreach (var fault in shortest)
        {
            output.WriteLine("  " + fault.Describe());
        }

        output.WriteLine($"violated: {violation}");
        var plant = settings.Plant != PlantedBug.None ? $" --plant {settings.Plant}" : settings.HostPlant != HostPlantedBug.None ? $" --plant {settings.HostPlant}" : string.Empty;
        plant += settings.Engine == SimEngine.Host ? " --engine host" : string.Empty;
        var mix = settings.Mix is { } m ? $" --mix {m}" : string.Empty;
        var seconds = settings.FaultPhaseUs is { } us ? string.Create(c, $" --seconds {us / 1e6}") : string.Empty;
        output.WriteLine($"replay: scripts/simulate.sh --seeds 1 --first-seed {failure.Seed} --nodes {settings.Nodes} --groups {settings.Groups}{plant}{mix}{seconds} --keep-faults {(shortest.Count == 0 ? "none" : string.Join(',', shortest.Select(f => f.Index)))} --shrink-seconds 0");
    }

    private static string PlantText(SimulatorSettings settings) =>
        settings.Plant != PlantedBug.None ? $", planted {settings.Plant}" : settings.HostPlant != HostPlantedBug.None ? $", planted {settings.HostPlant}" : string.Empty;

    /// <summary>Prints seeds-until-caught for one planted bug; false when some start did not catch it within the budget.</summary>
    public static bool Caught(SimulatorSettings settings, int starts, int budget, long stride, int jobs, TextWriter output)
    {
        var results = new HuntResult[starts];
        var next = -1;
        var threads = Enumerable.Range(0, Math.Max(1, jobs)).Select(_ => new Thread(() =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < starts)
            {
                results[i] = PlantHunt.Hunt(settings, 1 + (i * stride), budget);
            }
        })
        { IsBackground = true }).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var counts = results.Where(r => r.SeedsUntilCaught is not null).Select(r => r.SeedsUntilCaught!.Value).Order().ToList();
        var missed = results.Count(r => r.SeedsUntilCaught is null);
        var median = counts.Count == 0 ? double.NaN : counts.Count % 2 == 1 ? counts[counts.Count / 2] : (counts[(counts.Count / 2) - 1] + counts[counts.Count / 2]) / 2.0;
        var by = string.Join(", ", results.Where(r => r.Invariant is not null).GroupBy(r => r.Invariant).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(settings.HostPlant != HostPlantedBug.None ? settings.HostPlant.ToString() : settings.Plant.ToString())}{(settings.Engine == SimEngine.Host ? " (host engine)" : string.Empty)}: caught from {counts.Count}/{starts} starts; seeds until caught median {median}, max {(counts.Count == 0 ? 0 : counts[^1])}{(missed > 0 ? $", {missed} not within {budget}" : string.Empty)}; by {by}; {clock.Elapsed.TotalSeconds:F0} s"));
        output.WriteLine("  per start: " + string.Join(' ', results.Select(r => r.SeedsUntilCaught?.ToString(CultureInfo.InvariantCulture) ?? "-")));
        return missed == 0;
    }
}
