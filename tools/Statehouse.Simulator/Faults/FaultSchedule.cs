using Statehouse.Simulator.Core;
using Statehouse.Simulator.Running;

namespace Statehouse.Simulator.Faults;

/// <summary>
/// Generates a run's explicit fault schedule from the seed's fault stream, before the run starts: the schedule is
/// data (a list of <see cref="Fault"/>s), so a failing run can be replayed with a subset of it (shrinking).
/// </summary>
internal static class FaultSchedule
{
    /// <summary>Faults start after this much simulated time (the first leaders get elected undisturbed).</summary>
    public const long WarmupUs = 300_000;

    /// <summary>At most this many faults per run (a bound on the schedule, whatever the mean gap).</summary>
    public const int MaxFaults = 400;

    /// <summary>The schedule of <paramref name="config"/>'s seed.</summary>
    public static IReadOnlyList<Fault> Generate(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var r = Seeds.Stream(config.Seed, StreamKind.Faults);
        var weights = FaultMixWeights.Of(config.Mix)
            .Where(w => config.Nodes >= 3 || w.Kind is not (FaultKind.Split or FaultKind.LinkCut or FaultKind.Membership))
            .ToList();
        var total = weights.Sum(w => w.Weight);
        var faults = new List<Fault>();
        var at = WarmupUs;

        // Faults end before the quiet phase; the last ones may still run into it and are ended there.
        var lastStartUs = config.FaultPhaseUs - 100_000;
        while (faults.Count < MaxFaults)
        {
            at += (long)(-Math.Log(1 - r.NextDouble()) * config.MeanFaultGapUs) + 1;
            if (at > lastStartUs)
            {
                break;
            }

            var pick = r.Next(total);
            var kind = weights[0].Kind;
            foreach (var (k, w) in weights)
            {
                if (pick < w)
                {
                    kind = k;
                    break;
                }

                pick -= w;
            }

            var node = r.Next(config.Nodes);
            var group = r.Next(config.Groups);
            var duration = kind switch
            {
                FaultKind.Crash or FaultKind.TornCrash or FaultKind.CrashLeader or FaultKind.DiskError => 5_000 + r.Next(600_000),
                FaultKind.SlowDisk => 50_000 + r.Next(800_000),
                FaultKind.DuplicateBurst or FaultKind.DelaySpike => 50_000 + r.Next(400_000),
                FaultKind.CrashNewLeader => 200_000 + r.Next(1_000_000),
                FaultKind.IsolateNewLeader => config.Mix == FaultMix.Divergence ? 1_000_000 + r.Next(2_000_000) : 500_000 + r.Next(1_500_000),
                FaultKind.TransferLeader or FaultKind.Membership => 0,
                _ => 50_000 + r.Next(1_200_000),
            };
            if (config.Mix == FaultMix.Leases)
            {
                // Short partitions and crashes: the cluster heals and elects a stable leader before the next one.
                duration = Math.Min(duration, 100_000 + (duration % 300_000));
            }

            var salt = ((ulong)(uint)r.Next() << 32) | (uint)r.Next();
            var leaderBased = kind is FaultKind.CrashLeader or FaultKind.IsolateLeader or FaultKind.TransferLeader or FaultKind.Membership
                or FaultKind.CrashNewLeader or FaultKind.IsolateNewLeader or FaultKind.IsolateSlowLeader;
            var global = kind is FaultKind.Split or FaultKind.DuplicateBurst or FaultKind.DelaySpike;
            faults.Add(new Fault(faults.Count, at, kind, leaderBased || global ? -1 : node, leaderBased ? group : -1, duration, salt));
        }

        return faults;
    }
}
