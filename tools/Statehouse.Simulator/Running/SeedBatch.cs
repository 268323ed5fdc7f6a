using System.Diagnostics;
using System.Globalization;

namespace Statehouse.Simulator.Running;

/// <summary>The outcome of a batch: how many seeds ran, the lowest failing one (if any), and totals for the speed report.</summary>
internal sealed record BatchResult(int SeedsRun, RunResult? FirstFailure, double WallSeconds, long SimulatedUs, long Events, long FaultsInjected)
{
    public double SeedsPerSecond => SeedsRun / Math.Max(WallSeconds, 1e-9);

    /// <summary>Simulated seconds per wall-clock second (over all workers).</summary>
    public double Speedup => SimulatedUs / 1e6 / Math.Max(WallSeconds, 1e-9);
}

/// <summary>
/// Runs consecutive seeds on <c>jobs</c> worker threads (each run is single-threaded and independent). Stops handing out
/// seeds above the lowest failure, so the failure reported is the lowest failing seed whatever the scheduling.
/// </summary>
internal static class SeedBatch
{
    public static BatchResult Run(SimulatorSettings settings, long firstSeed, int seeds, int jobs, TextWriter? progress, TimeSpan progressEvery)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var wall = Stopwatch.StartNew();
        var next = 0L;
        var lockObject = new object();
        RunResult? failure = null;
        long done = 0, simulated = 0, events = 0, faults = 0;
        var lastReport = TimeSpan.Zero;

        void Worker()
        {
            while (true)
            {
                long seed;
                lock (lockObject)
                {
                    if (next >= seeds || (failure is not null && firstSeed + next > failure.Seed))
                    {
                        return;
                    }

                    seed = firstSeed + next++;
                }

                var result = settings.Run(seed);
                lock (lockObject)
                {
                    done++;
                    simulated += result.SimulatedUs;
                    events += result.Events;
                    faults += result.FaultsInjected;
                    if (!result.Passed && (failure is null || result.Seed < failure.Seed))
                    {
                        failure = result;
                    }

                    if (progress is not null && wall.Elapsed - lastReport >= progressEvery)
                    {
                        lastReport = wall.Elapsed;
                        var seconds = wall.Elapsed.TotalSeconds;
                        progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"  {done}/{seeds} seeds, {done / seconds:F1} seeds/s, {faults} faults injected, {simulated / 1e6 / seconds:F1} simulated s per wall s"));
                    }
                }
            }
        }

        var threads = Enumerable.Range(0, Math.Max(1, jobs)).Select(_ => new Thread(Worker) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return new BatchResult((int)done, failure, wall.Elapsed.TotalSeconds, simulated, events, faults);
    }
}
