using System.Collections.Concurrent;
using System.Globalization;
using Statehouse.Checking;
using Statehouse.Chaos.Formats;
using Statehouse.Chaos.Runner;

namespace Statehouse.Chaos.Workloads;

/// <summary>
/// bank: accounts under <c>bank/</c> start with 100 each; clients move money in transactions (compare both accounts'
/// mod revisions with what they read, then put both balances) and read all accounts at a random consistency level on
/// a random node. Every read is one snapshot, so every read must sum to the starting total with no negative balance
/// (<see cref="BankChecker"/>) — a partial, lost or doubled transfer changes the sum.
/// </summary>
internal sealed class BankWorkload : IWorkload
{
    private const string Prefix = "bank/";
    private const int Accounts = 5;
    private const long Initial = 100;
    private static readonly string[] Levels = ["linearizable", "session", "bounded", "eventual"];
    private readonly ConcurrentBag<(IReadOnlyDictionary<string, long> Balances, long At)> _reads = [];
    private HistoryLog? _history;
    private long _openedAt;

    public string Name => "bank";

    public OpCounts Counts { get; } = new();

    public async Task SetupAsync(LabContext lab, CancellationToken cancellationToken)
    {
        _history = lab.OpenHistory(Name);
        using var http = new LabHttp(lab.Nodes, TimeSpan.FromSeconds(5));
        var txn = new
        {
            compare = new[] { new { key = Account(0), target = "exists", op = "==", number = 0L } },
            success = Enumerable.Range(0, Accounts).Select(a => new { put = new { key = Account(a), value = Initial.ToString(CultureInfo.InvariantCulture) } }).ToArray(),
            requestId = $"lab-{lab.Settings.Seed}-bank-open",
        };
        for (var attempt = 0; ; attempt++)
        {
            var reply = await http.TxnAsync(attempt % lab.Nodes.Count, txn).ConfigureAwait(false);
            if (reply.Success)
            {
                _openedAt = reply.Json.GetProperty("revision").GetInt64();
                return;
            }

            if (attempt > 20)
            {
                throw new InvalidOperationException($"Could not open the bank accounts: {reply.Status} {reply.Text}");
            }

            await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Account(int a) => $"{Prefix}a{a}";

    public async Task RunClientAsync(LabContext lab, int client, CancellationToken stop)
    {
        using var http = new LabHttp(lab.Nodes, TimeSpan.FromSeconds(1));
        var random = lab.RandomFor(Name, client);
        var sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            var node = random.Next(lab.Nodes.Count);
            var consistency = random.Next(2) == 0 ? "linearizable" : Levels[random.Next(Levels.Length)];
            _history!.Record(new HistoryEvent(client, "invoke", "read-all", Prefix, consistency, null, lab.NowNs));
            var read = await http.ListAsync(node, Prefix, consistency).ConfigureAwait(false);
            if (read is null)
            {
                Counts.Add(Outcome.Fail);
                _history.Record(new HistoryEvent(client, "fail", "read-all", Prefix, null, null, lab.NowNs));
                continue;
            }

            var balances = read.Value.Items.ToDictionary(i => i.Key, i => long.Parse(i.Value, CultureInfo.InvariantCulture), StringComparer.Ordinal);
            var at = lab.NowNs;
            if (read.Value.Revision >= _openedAt)
            {
                // A replica behind the opening revision rightly shows no accounts (eventual reads may lag).
                _reads.Add((balances, at));
            }

            Counts.Add(Outcome.Ok);
            _history.Record(new HistoryEvent(client, "ok", "read-all", Prefix, $"r{read.Value.Revision} " + string.Join(" ", balances.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => $"{b.Key[Prefix.Length..]}={b.Value}")), null, at));
            if (consistency != "linearizable" || balances.Count != Accounts)
            {
                continue;
            }

            // Transfer from what a linearizable read saw; the compare makes it fail if either account moved since.
            var from = read.Value.Items[random.Next(Accounts)];
            var to = read.Value.Items[random.Next(Accounts)];
            var fromBalance = balances[from.Key];
            if (from.Key == to.Key || fromBalance == 0)
            {
                continue;
            }

            var amount = random.Next(1, (int)Math.Min(fromBalance, 20) + 1);
            var txn = new
            {
                compare = new object[]
                {
                    new { key = from.Key, target = "modRevision", op = "==", number = from.ModRevision },
                    new { key = to.Key, target = "modRevision", op = "==", number = to.ModRevision },
                },
                success = new object[]
                {
                    new { put = new { key = from.Key, value = (fromBalance - amount).ToString(CultureInfo.InvariantCulture) } },
                    new { put = new { key = to.Key, value = (balances[to.Key] + amount).ToString(CultureInfo.InvariantCulture) } },
                },
                requestId = $"lab-{lab.Settings.Seed}-bank-{client}-{sequence++}",
            };
            var description = $"{from.Key[Prefix.Length..]}→{to.Key[Prefix.Length..]} {amount}";
            _history.Record(new HistoryEvent(client, "invoke", "transfer", Prefix, description, null, lab.NowNs));
            var reply = await http.TxnAsync(random.Next(lab.Nodes.Count), txn).ConfigureAwait(false);
            var outcome = reply.Success ? (reply.Json.GetProperty("succeeded").GetBoolean() ? Outcome.Ok : Outcome.Fail) : reply.WriteOutcome;
            Counts.Add(outcome);
            _history.Record(new HistoryEvent(client, outcome.Phase(), "transfer", Prefix, reply.Success ? $"r{reply.Json.GetProperty("revision").GetInt64()}" : null, null, lab.NowNs));
        }
    }

    public async Task<WorkloadResult> CheckAsync(LabContext lab, CancellationToken cancellationToken)
    {
        _history!.Dispose();
        using var http = new LabHttp(lab.Nodes, TimeSpan.FromSeconds(10));
        for (var n = 0; n < lab.Nodes.Count; n++)
        {
            // Every replica's final state counts too: read each one (eventual = its own state).
            var read = await http.ListAsync(n, Prefix, "eventual").ConfigureAwait(false);
            if (read is not null)
            {
                _reads.Add((read.Value.Items.ToDictionary(i => i.Key, i => long.Parse(i.Value, CultureInfo.InvariantCulture), StringComparer.Ordinal), lab.NowNs));
            }
        }

        var reads = _reads.OrderBy(r => r.At).ToList();
        var anomalies = BankChecker.Check(Initial * Accounts, reads).ToList();
        var missingAccounts = reads.Where(r => r.Balances.Count != Accounts).ToList();
        if (missingAccounts.Count > 0)
        {
            anomalies.Add(new Anomaly("bank-accounts", $"{missingAccounts.Count} read(s) saw {missingAccounts[0].Balances.Count} accounts, not {Accounts}"));
        }

        // The first offending read is the failing sub-history: one snapshot that does not add up.
        var evidence = anomalies.Take(3).Select(a => a.Detail).ToList();
        return WorkloadResult.From(this, anomalies.Take(10).ToList(), $"{reads.Count:N0} snapshot reads, each summing to {Initial * Accounts}: {(anomalies.Count == 0 ? "yes" : "no")}", _history.Path, evidence);
    }
}
