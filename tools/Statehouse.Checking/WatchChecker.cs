namespace Statehouse.Checking;

/// <summary>A change as the store committed it, or as a watcher received it.</summary>
public readonly record struct ChangeEvent(long Revision, string Key, string? Value);

/// <summary>
/// The watch workload: every committed change (as the final history of the store reports it, from the watcher's start
/// revision on) must reach each watcher exactly once, in revision order, across restarts and resumes, with the value
/// that was committed.
/// </summary>
public static class WatchChecker
{
    /// <param name="committed">The changes the store committed in the watched range (from a read of its history).</param>
    /// <param name="received">What one watcher received, in arrival order (several connections concatenated).</param>
    /// <param name="fromRevision">The revision the watch started at.</param>
    /// <param name="throughRevision">The last revision the watcher was expected to see (it stopped after it).</param>
    public static IReadOnlyList<Anomaly> Check(IReadOnlyList<ChangeEvent> committed, IReadOnlyList<ChangeEvent> received, long fromRevision, long throughRevision)
    {
        var anomalies = new List<Anomaly>();
        for (var i = 1; i < received.Count; i++)
        {
            if (received[i].Revision < received[i - 1].Revision)
            {
                anomalies.Add(new Anomaly("watch-reorder", $"revision {received[i].Revision} ({received[i].Key}) arrived after revision {received[i - 1].Revision}"));
                break;
            }
        }

        var seen = new Dictionary<(long, string), int>();
        foreach (var e in received)
        {
            seen[(e.Revision, e.Key)] = seen.GetValueOrDefault((e.Revision, e.Key)) + 1;
        }

        var duplicates = seen.Where(p => p.Value > 1).Select(p => p.Key).Order().ToList();
        if (duplicates.Count > 0)
        {
            anomalies.Add(new Anomaly("watch-duplicate", $"{duplicates.Count} change(s) delivered more than once, first: revision {duplicates[0].Item1} key {duplicates[0].Item2}"));
        }

        var expected = committed.Where(e => e.Revision >= fromRevision && e.Revision <= throughRevision).ToList();
        var byKey = received.GroupBy(e => (e.Revision, e.Key)).ToDictionary(g => g.Key, g => g.First());
        var missing = expected.Where(e => !byKey.ContainsKey((e.Revision, e.Key))).ToList();
        if (missing.Count > 0)
        {
            anomalies.Add(new Anomaly("watch-gap", $"{missing.Count} committed change(s) never delivered, first: revision {missing[0].Revision} key {missing[0].Key}"));
        }

        var wrong = expected.Where(e => byKey.TryGetValue((e.Revision, e.Key), out var r) && r.Value != e.Value).ToList();
        if (wrong.Count > 0)
        {
            anomalies.Add(new Anomaly("watch-wrong-value", $"revision {wrong[0].Revision} key {wrong[0].Key}: delivered '{byKey[(wrong[0].Revision, wrong[0].Key)].Value}', committed '{wrong[0].Value}'"));
        }

        var committedSet = committed.Select(e => (e.Revision, e.Key)).ToHashSet();
        var invented = received.Where(e => !committedSet.Contains((e.Revision, e.Key))).ToList();
        if (invented.Count > 0)
        {
            anomalies.Add(new Anomaly("watch-phantom", $"{invented.Count} delivered change(s) the store never committed, first: revision {invented[0].Revision} key {invented[0].Key}"));
        }

        return anomalies;
    }
}
