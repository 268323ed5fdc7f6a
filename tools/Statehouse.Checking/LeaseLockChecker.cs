namespace Statehouse.Checking;

/// <summary>
/// The lease-lock workload: a lock is held through a lease; each acquisition gets a fencing token (the revision at which
/// it was acquired), and every write to the protected resource carries its holder's token. Once a newer holder has
/// acquired the lock, a write with an older token must be refused; accepted writes, in the order the store applied them,
/// never go back to an older token.
/// </summary>
public static class LeaseLockChecker
{
    /// <param name="acquisitions">Fencing tokens of successful acquisitions (each = the revision it was acquired at).</param>
    /// <param name="acceptedWrites">Protected writes the store accepted: the token they carried and the revision they got.</param>
    public static IReadOnlyList<Anomaly> Check(IEnumerable<long> acquisitions, IEnumerable<(long Token, long Revision)> acceptedWrites)
    {
        var tokens = acquisitions.Order().ToList();
        var writes = acceptedWrites.OrderBy(w => w.Revision).ToList();
        var anomalies = new List<Anomaly>();
        var known = tokens.ToHashSet();
        foreach (var (token, revision) in writes)
        {
            if (!known.Contains(token))
            {
                anomalies.Add(new Anomaly("unknown-token", $"a write at revision {revision} carried token {token}, which no acquisition handed out"));
                continue;
            }

            // The newest acquisition before this write: a write with an older token came too late.
            var newest = tokens.LastOrDefault(t => t < revision);
            if (newest > token)
            {
                anomalies.Add(new Anomaly("stale-token-accepted", $"a write at revision {revision} with token {token} was accepted after the lock was acquired again at {newest}"));
            }
        }

        for (var i = 1; i < writes.Count; i++)
        {
            if (writes[i].Token < writes[i - 1].Token)
            {
                anomalies.Add(new Anomaly("token-regressed", $"write at revision {writes[i].Revision} has token {writes[i].Token}, older than {writes[i - 1].Token} at revision {writes[i - 1].Revision}"));
                break;
            }
        }

        return anomalies;
    }
}
