using System.Net;
using System.Text.Json;
using Statehouse.Checking;
using Statehouse.Chaos.Formats;
using Statehouse.Chaos.Runner;

namespace Statehouse.Chaos.Workloads;

/// <summary>
/// register: clients read, write and compare-and-set (by mod revision) a few keys on random nodes; the history must be
/// linearizable (Wing–Gong/Lowe per key, <see cref="LinearizabilityChecker"/>).
/// </summary>
internal sealed class RegisterWorkload : IWorkload
{
    private HistoryLog? _history;

    public string Name => "register";

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
        var known = new Dictionary<string, (string Value, long Revision)>();
        var sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            var node = random.Next(lab.Nodes.Count);
            var key = $"reg/r{random.Next(lab.Settings.Keys)}";
            var kind = random.Next(3);
            var op = kind == 0 ? "read" : kind == 1 || !known.ContainsKey(key) ? "write" : "cas";
            var value = op == "read" ? null : $"c{client}-{sequence++}";
            var expected = op == "cas" ? known[key].Value : null;
            _history!.Record(new HistoryEvent(client, "invoke", op, key, value, expected, lab.NowNs, Node: node));
            Outcome outcome;
            string? read = null;
            string? error = null;
            if (op == "read")
            {
                var reply = await http.SendAsync(HttpMethod.Get, node, $"/v1/kv/default/{key}").ConfigureAwait(false);
                outcome = reply.Status is HttpStatusCode.OK or HttpStatusCode.NotFound ? Outcome.Ok : Outcome.Fail;
                if (reply.Status == HttpStatusCode.OK)
                {
                    read = reply.Text;
                    known[key] = (read, reply.ModRevision!.Value);
                }
            }
            else
            {
                var headers = new Dictionary<string, string> { ["Idempotency-Key"] = $"lab-{lab.Settings.Seed}-{value}" };
                if (op == "cas")
                {
                    headers["If-Match"] = $"\"{known[key].Revision}\"";
                }

                var reply = await http.SendAsync(HttpMethod.Put, node, $"/v1/kv/default/{key}", value, headers).ConfigureAwait(false);
                outcome = reply.WriteOutcome;
                if (outcome == Outcome.Fail && reply.Status != HttpStatusCode.PreconditionFailed)
                {
                    // Refused before evaluation (connection refused, bad request): a compare-and-set that saw nothing.
                    error = reply.Status is { } status ? $"HTTP {(int)status}" : reply.Error?.Message ?? "not sent";
                }

                if (outcome == Outcome.Ok)
                {
                    known[key] = (value!, reply.Json.GetProperty("revision").GetInt64());
                }
                else if (op == "cas" && reply.Status == HttpStatusCode.PreconditionFailed)
                {
                    known.Remove(key);
                }
            }

            Counts.Add(outcome);
            _history.Record(new HistoryEvent(client, outcome.Phase(), op, key, read, null, lab.NowNs, error, node));
        }
    }

    public Task<WorkloadResult> CheckAsync(LabContext lab, CancellationToken cancellationToken)
    {
        _history!.Dispose();
        var ops = JsonLinesHistory.Read(File.ReadLines(_history.Path));
        var result = LinearizabilityChecker.Check(ops, null, TimeSpan.FromMinutes(5));
        var summary = $"{result.Verdict} ({result.StatesExplored:N0} search steps, {result.Elapsed.TotalSeconds:F1} s)";
        if (result.Verdict == Verdict.Linearizable)
        {
            return Task.FromResult(WorkloadResult.From(this, [], summary, _history.Path));
        }

        if (result.Verdict == Verdict.Unknown)
        {
            return Task.FromResult(WorkloadResult.From(this, [new Anomaly("unknown", "the linearizability search ran out of its budget: nothing is claimed")], summary, _history.Path, decided: false));
        }

        if (result.Witness is { } witness)
        {
            // A read of a value no write could have produced: show the read and every recorded event of that value
            // (e.g. a write the client was told had failed).
            var value = witness[0].ReadValue;
            var lines = witness.Select(HistoryShrinker.Describe)
                .Concat(File.ReadLines(_history.Path).Where(l => value is not null && l.Contains($"\"value\":\"{value}\"", StringComparison.Ordinal)).Take(10))
                .ToList();
            var read = new Anomaly("not-linearizable", $"key {result.Key}: a read returned {value ?? "(absent)"}, which no operation that may have taken effect wrote before the read returned");
            return Task.FromResult(WorkloadResult.From(this, [read], summary, _history.Path, lines));
        }

        var minimal = HistoryShrinker.Shrink(result.FailingOperations, null, TimeSpan.FromSeconds(60));
        var anomaly = new Anomaly("not-linearizable", $"key {result.Key}: no order of its {result.FailingOperations.Count} operations explains what clients saw; smallest failing sub-history: {minimal.Count} operations");
        return Task.FromResult(WorkloadResult.From(this, [anomaly], summary, _history.Path, minimal.Select(HistoryShrinker.Describe).ToList()));
    }
}
