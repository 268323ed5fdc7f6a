using System.Collections.Concurrent;
using System.Net;
using Statehouse.Checking;
using Statehouse.Chaos.Formats;
using Statehouse.Chaos.Runner;

namespace Statehouse.Chaos.Workloads;

/// <summary>
/// watch: writers put and delete keys under <c>watch/</c> with unique values; watchers follow the prefix over the HTTP
/// event stream from the run's start revision, each on a random node, and when their node dies, pauses or goes quiet
/// they resume on another node from the revision after the last one they saw. After the run the store's history of
/// the prefix is replayed: every acknowledged write must be in it, nothing in it may be a value nobody wrote, and each
/// watcher must have received exactly that history, once, in revision order, up to where it stopped
/// (<see cref="WatchChecker"/>).
/// </summary>
internal sealed class WatchWorkload : IWorkload
{
    private const string Prefix = "watch/";
    private const int Watchers = 2;
    private readonly ConcurrentBag<(ChangeEvent Change, Outcome Outcome)> _writes = [];
    private readonly ConcurrentDictionary<int, (List<ChangeEvent> Received, long Through, int Resumes)> _watchers = new();
    private HistoryLog? _history;
    private long _from;
    private int _writers;

    public string Name => "watch";

    public OpCounts Counts { get; } = new();

    /// <summary>The requested clients write; two more watch.</summary>
    public int ClientCount(int requested)
    {
        _writers = requested;
        return requested + Watchers;
    }

    public async Task SetupAsync(LabContext lab, CancellationToken cancellationToken)
    {
        _history = lab.OpenHistory(Name);
        using var http = new LabHttp(lab.Nodes, TimeSpan.FromSeconds(5));
        _from = await http.LeaderRevisionAsync(cancellationToken).ConfigureAwait(false) + 1;
    }

    public Task RunClientAsync(LabContext lab, int client, CancellationToken stop) =>
        client < _writers ? WriteAsync(lab, client, stop) : WatchAsync(lab, client, stop);

    private async Task WriteAsync(LabContext lab, int client, CancellationToken stop)
    {
        using var http = new LabHttp(lab.Nodes, TimeSpan.FromSeconds(1));
        var random = lab.RandomFor(Name, client);
        var sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            var node = random.Next(lab.Nodes.Count);
            var key = $"{Prefix}k{random.Next(10)}";
            var delete = random.Next(5) == 0;
            var value = delete ? null : $"w{client}-{sequence++}";
            _history!.Record(new HistoryEvent(client, "invoke", delete ? "delete" : "put", key, value, null, lab.NowNs));
            var reply = delete
                ? await http.SendAsync(HttpMethod.Delete, node, $"/v1/kv/default/{key}").ConfigureAwait(false)
                : await http.SendAsync(HttpMethod.Put, node, $"/v1/kv/default/{key}", value, new Dictionary<string, string> { ["Idempotency-Key"] = $"lab-{lab.Settings.Seed}-watch-{value}" }).ConfigureAwait(false);
            var outcome = reply.WriteOutcome;
            var revision = outcome == Outcome.Ok ? reply.Json.GetProperty("revision").GetInt64() : 0;
            _writes.Add((new ChangeEvent(revision, key, value), outcome));
            Counts.Add(outcome);
            _history.Record(new HistoryEvent(client, outcome.Phase(), delete ? "delete" : "put", key, revision == 0 ? null : $"r{revision}", null, lab.NowNs));
        }
    }

    private async Task WatchAsync(LabContext lab, int client, CancellationToken stop)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var random = lab.RandomFor(Name, client);
        var received = new List<ChangeEvent>();
        var next = _from;
        var through = _from - 1;
        var resumes = 0;
        while (!stop.IsCancellationRequested)
        {
            var node = random.Next(lab.Nodes.Count);
            _history!.Record(new HistoryEvent(client, "invoke", "watch", Prefix, $"n{node + 1} from r{next}", null, lab.NowNs));
            var ended = await SseWatch.StreamAsync(http, lab.Nodes, node, Prefix, next, m =>
            {
                if (!m.Progress)
                {
                    received.AddRange(m.Events);
                    Counts.Add(Outcome.Ok);
                }

                // Progress means "nothing more up to here": resume after it, as EventSource does with Last-Event-ID.
                through = Math.Max(through, m.Revision);
                next = Math.Max(next, m.Revision + 1);
                return true;
            }, stop).ConfigureAwait(false);
            _history.Record(new HistoryEvent(client, "info", "watch", Prefix, $"ended ({ended ?? "run over"}) through r{through}, {received.Count} events", null, lab.NowNs));
            if (ended is not null)
            {
                resumes++;
                try
                {
                    await Task.Delay(100, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        _watchers[client] = (received, through, resumes);
    }

    public async Task<WorkloadResult> CheckAsync(LabContext lab, CancellationToken cancellationToken)
    {
        _history!.Dispose();
        var writes = _writes.ToList();
        var last = _watchers.Values.Select(w => w.Through).Append(writes.Max(w => (long?)w.Change.Revision) ?? _from).Max();
        var committed = await SseWatch.ReplayAsync(lab.Nodes, Prefix, _from, last, cancellationToken).ConfigureAwait(false);
        var anomalies = new List<Anomaly>();
        var evidence = new List<string>();
        var inStore = committed.ToHashSet();
        var lost = writes.Where(w => w.Outcome == Outcome.Ok && !inStore.Contains(w.Change)).Select(w => w.Change).OrderBy(c => c.Revision).ToList();
        if (lost.Count > 0)
        {
            anomalies.Add(new Anomaly("lost-write", $"{lost.Count} acknowledged write(s) missing from the store's history, first: revision {lost[0].Revision} {lost[0].Key} = {lost[0].Value ?? "(deleted)"}"));
            evidence.AddRange(lost.Take(5).Select(c => $"acknowledged r{c.Revision} {c.Key} = {c.Value ?? "(deleted)"}, not in the replayed history"));
        }

        var attempted = writes.Where(w => w.Outcome != Outcome.Fail && w.Change.Value is not null).Select(w => w.Change.Value!).ToHashSet(StringComparer.Ordinal);
        var invented = committed.Where(c => c.Value is not null && !attempted.Contains(c.Value)).ToList();
        if (invented.Count > 0)
        {
            anomalies.Add(new Anomaly("phantom-write", $"the store's history holds {invented.Count} value(s) no client wrote, first: revision {invented[0].Revision} {invented[0].Key} = {invented[0].Value}"));
        }

        var delivered = 0L;
        var resumes = 0;
        foreach (var (client, watcher) in _watchers.OrderBy(w => w.Key))
        {
            delivered += watcher.Received.Count;
            resumes += watcher.Resumes;
            foreach (var anomaly in WatchChecker.Check(committed, watcher.Received, _from, watcher.Through))
            {
                anomalies.Add(anomaly with { Detail = $"watcher {client}: {anomaly.Detail}" });
                evidence.Add($"watcher {client} (through r{watcher.Through}, {watcher.Resumes} resumes): last events " +
                    string.Join(", ", watcher.Received.TakeLast(5).Select(c => $"r{c.Revision} {c.Key}")));
            }
        }

        return WorkloadResult.From(this, anomalies, $"{committed.Count:N0} committed changes replayed; {_watchers.Count} watchers received {delivered:N0} events through r{_watchers.Values.Select(w => w.Through).DefaultIfEmpty().Min()}..{last}, {resumes} resumes", _history.Path, evidence);
    }
}
