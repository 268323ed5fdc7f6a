namespace Statehouse.Checking;

/// <summary>
/// The bank workload: transfers move money between accounts in transactions; every read of all accounts (one
/// consistent snapshot) must show the same total and no negative balance — a partial transfer or a lost/duplicated
/// one changes the total.
/// </summary>
public static class BankChecker
{
    /// <param name="expectedTotal">The total put in at the start.</param>
    /// <param name="reads">Each read: balances by account, and when it completed (for the report).</param>
    public static IReadOnlyList<Anomaly> Check(long expectedTotal, IEnumerable<(IReadOnlyDictionary<string, long> Balances, long At)> reads)
    {
        var anomalies = new List<Anomaly>();
        foreach (var (balances, at) in reads)
        {
            var total = balances.Values.Sum();
            if (total != expectedTotal)
            {
                anomalies.Add(new Anomaly("bank-total", $"a read at {at} sums to {total}, not {expectedTotal}: {string.Join(", ", balances.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => $"{b.Key}={b.Value}"))}"));
            }

            var negative = balances.Where(b => b.Value < 0).ToList();
            if (negative.Count > 0)
            {
                anomalies.Add(new Anomaly("bank-negative", $"a read at {at} shows a negative balance: {string.Join(", ", negative.Select(b => $"{b.Key}={b.Value}"))}"));
            }
        }

        return anomalies;
    }
}
