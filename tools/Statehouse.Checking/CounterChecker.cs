namespace Statehouse.Checking;

/// <summary>
/// The counter workload: clients add positive deltas; a final read must lie between the sum of acknowledged increments
/// and that sum plus every increment whose outcome is unknown (failed ones never count).
/// </summary>
public static class CounterChecker
{
    /// <summary>Checks a final value against what clients were told.</summary>
    /// <param name="acknowledged">Deltas of increments that succeeded.</param>
    /// <param name="unknown">Deltas of increments whose outcome is unknown.</param>
    /// <param name="initial">The counter before the run.</param>
    /// <param name="finalValue">The value read after the run (all nodes healed).</param>
    public static IReadOnlyList<Anomaly> Check(IEnumerable<long> acknowledged, IEnumerable<long> unknown, long initial, long finalValue)
    {
        var acked = acknowledged.ToList();
        var maybe = unknown.ToList();
        if (acked.Concat(maybe).Any(d => d <= 0))
        {
            throw new ArgumentException("The counter workload uses positive deltas only.");
        }

        var low = initial + acked.Sum();
        var high = low + maybe.Sum();
        if (finalValue < low)
        {
            return [new Anomaly("lost-increment", $"final value {finalValue} is below {low}, the initial value plus the {acked.Count} acknowledged increments: an acknowledged increment was lost")];
        }

        if (finalValue > high)
        {
            return [new Anomaly("phantom-increment", $"final value {finalValue} is above {high} (acknowledged plus all {maybe.Count} unknown increments): an increment was applied twice or from nowhere")];
        }

        return [];
    }
}
