namespace Statehouse.Checking;

/// <summary>
/// The set workload: clients add unique elements; the final read must hold every acknowledged element, and nothing that
/// was never added (unknown adds may be present or not).
/// </summary>
public static class SetChecker
{
    public static IReadOnlyList<Anomaly> Check(IEnumerable<string> acknowledged, IEnumerable<string> unknown, IEnumerable<string> finalRead)
    {
        var final = finalRead.ToList();
        var present = final.ToHashSet(StringComparer.Ordinal);
        var acked = acknowledged.ToHashSet(StringComparer.Ordinal);
        var attempted = acked.Concat(unknown).ToHashSet(StringComparer.Ordinal);
        var anomalies = new List<Anomaly>();
        var lost = acked.Where(e => !present.Contains(e)).Order(StringComparer.Ordinal).ToList();
        if (lost.Count > 0)
        {
            anomalies.Add(new Anomaly("lost-element", $"{lost.Count} acknowledged element(s) missing from the final read: {string.Join(", ", lost.Take(10))}"));
        }

        var unexpected = present.Where(e => !attempted.Contains(e)).Order(StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0)
        {
            anomalies.Add(new Anomaly("phantom-element", $"{unexpected.Count} element(s) never added appear: {string.Join(", ", unexpected.Take(10))}"));
        }

        var duplicates = final.GroupBy(e => e, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
        {
            anomalies.Add(new Anomaly("duplicate-element", $"element(s) listed more than once: {string.Join(", ", duplicates.Take(10))}"));
        }

        return anomalies;
    }
}
