using System.Collections.Concurrent;
using Statehouse.Checking;
using Statehouse.Chaos.Formats;
using Statehouse.Chaos.Runner;

namespace Statehouse.Chaos.Workloads;

/// <summary>
/// set: clients add unique elements (one key each under <c>set/</c>, put if absent); now and then a client reads the
/// whole set at a random consistency level. The final linearizable read must hold every acknowledged element and
/// nothing never added (<see cref="SetChecker"/>); a linearizable read during the run must hold every element
/// acknowledged before it began (such reads get rarer as the set grows, so their cost stays flat).
/// </summary>
internal sealed class SetWorkload : IWorkload
{
    private const string Prefix = "set/";
    private readonly ConcurrentDictionary<string, (Outcome Outcome, long Returned)> _adds = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Anomaly> _runAnomalies = [];
    private readonly ConcurrentBag<string> _evidence = [];
    private HistoryLog? _history;
    private long _reads;

    public string Name => "set";

    public OpCounts Counts { get; } = new();

    public Task SetupAsync(LabContext lab, CancellationToken cancellationToken)
    {
        _history = lab.OpenHistory(Name);
        return Task.CompletedTask;
    }

    public async Task RunClientAsync(LabContext lab, int client, CancellationToken stop)
    {
        using var http = new LabHttp(lab.Nodes, TimeSpan.FromSeconds(1));
        var random = lab.RandomFor(Name, client);
        var sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            var node = random.Next(lab.Nodes.Count);
            if (random.Next(200 + (_adds.Count / 20)) == 0)
            {
                await ReadAsync(lab, http, node, client).ConfigureAwait(false);
                continue;
            }

            var element = $"e{client}-{sequence++}";
            _history!.Record(new HistoryEvent(client, "invoke", "add", Prefix + element, element, null, lab.NowNs));
            var reply = await http.SendAsync(HttpMethod.Put, node, $"/v1/kv/default/{Prefix}{element}", "1",
                new Dictionary<string, string> { ["If-None-Match"] = "*", ["Idempotency-Key"] = $"lab-{lab.Settings.Seed}-set-{element}" }).ConfigureAwait(false);
            var outcome = reply.WriteOutcome;
            _adds[element] = (outcome, lab.NowNs);
            Counts.Add(outcome);
            _history.Record(new HistoryEvent(client, outcome.Phase(), "add", Prefix + element, null, null, lab.NowNs));
        }
    }

    /// <summary>A linearizable read of the whole set must hold every element acknowledged before it began.</summary>
    private async Task ReadAsync(LabContext lab, LabHttp http, int node, int client)
    {
        var invoked = lab.NowNs;
        var mustHave = _adds.Where(a => a.Value.Outcome == Outcome.Ok && a.Value.Returned < invoked).Select(a => a.Key).ToList();
        _history!.Record(new HistoryEvent(client, "invoke", "read-all", Prefix, null, null, invoked));
        var read = await http.ListAsync(node, Prefix).ConfigureAwait(false);
        Counts.Add(read is null ? Outcome.Fail : Outcome.Ok);
        _history.Record(new HistoryEvent(client, read is null ? "fail" : "ok", "read-all", Prefix, read is null ? null : $"{read.Value.Items.Count} elements at revision {read.Value.Revision}", null, lab.NowNs));
        if (read is null)
        {
            return;
        }

        Interlocked.Increment(ref _reads);
        var present = read.Value.Items.Select(i => i.Key[Prefix.Length..]).ToHashSet(StringComparer.Ordinal);
        var missing = mustHave.Where(e => !present.Contains(e)).ToList();
        if (missing.Count > 0)
        {
            _runAnomalies.Add(new Anomaly("lost-element", $"a linearizable read on node n{node + 1} at revision {read.Value.Revision} misses {missing.Count} element(s) acknowledged before it began: {string.Join(", ", missing.Take(10))}"));
            _evidence.Add($"read-all on n{node + 1} invoked {invoked / 1e6:F3} ms, revision {read.Value.Revision}: missing {string.Join(", ", missing.Take(10))}");
        }
    }

    public async Task<WorkloadResult> CheckAsync(LabContext lab, CancellationToken cancellationToken)
    {
        _history!.Dispose();
        using var http = new LabHttp(lab.Nodes, TimeSpan.FromSeconds(10));
        (long Revision, List<(string Key, string Value, long CreateRevision, long ModRevision)> Items)? final = null;
        for (var attempt = 0; attempt < 30 && final is null; attempt++)
        {
            final = await http.ListAsync(attempt % lab.Nodes.Count, Prefix).ConfigureAwait(false);
            if (final is null)
            {
                await Task.Delay(500, cancellationToken).ConfigureAwait(false);
            }
        }

        if (final is null)
        {
            return WorkloadResult.From(this, [new Anomaly("unknown", "the final read of the set never succeeded")], "no final read", _history.Path, decided: false);
        }

        var anomalies = SetChecker.Check(
            _adds.Where(a => a.Value.Outcome == Outcome.Ok).Select(a => a.Key),
            _adds.Where(a => a.Value.Outcome == Outcome.Unknown).Select(a => a.Key),
            final.Value.Items.Select(i => i.Key[Prefix.Length..])).ToList();
        anomalies.AddRange(_runAnomalies.Take(5));
        var acked = _adds.Count(a => a.Value.Outcome == Outcome.Ok);
        var unknown = _adds.Count(a => a.Value.Outcome == Outcome.Unknown);
        return WorkloadResult.From(this, anomalies, $"final read {final.Value.Items.Count:N0} elements; {acked:N0} acknowledged, {unknown:N0} unknown; {_reads:N0} reads during the run checked", _history.Path, [.. _evidence.Take(10)]);
    }
}
