using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Statehouse.Checking;
using Statehouse.Chaos.Formats;
using Statehouse.Chaos.Runner;

namespace Statehouse.Chaos.Workloads;

/// <summary>
/// counter: clients add positive deltas to one counter (<c>POST /v1/incr</c>, idempotency key per call) and read it
/// linearizably. The final value must lie between acknowledged and acknowledged + unknown increments
/// (<see cref="CounterChecker"/>); every read must lie between the increments acknowledged before it began and all
/// increments begun before it ended, and reads in real-time order never go down.
/// </summary>
internal sealed class CounterWorkload : IWorkload
{
    private const string Key = "counter/c";
    private readonly ConcurrentBag<(long Delta, Outcome Outcome, long Invoked, long Returned)> _increments = [];
    private readonly ConcurrentBag<(long Value, long Invoked, long Returned)> _reads = [];
    private HistoryLog? _history;

    public string Name => "counter";

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
            var invoked = lab.NowNs;
            if (random.Next(4) == 0)
            {
                _history!.Record(new HistoryEvent(client, "invoke", "read", Key, null, null, invoked));
                var reply = await http.SendAsync(HttpMethod.Get, node, $"/v1/kv/default/{Key}").ConfigureAwait(false);
                var outcome = reply.Status is HttpStatusCode.OK or HttpStatusCode.NotFound ? Outcome.Ok : Outcome.Fail;
                var value = reply.Status == HttpStatusCode.OK ? long.Parse(reply.Text, CultureInfo.InvariantCulture) : 0;
                var returned = lab.NowNs;
                if (outcome == Outcome.Ok)
                {
                    _reads.Add((value, invoked, returned));
                }

                Counts.Add(outcome);
                _history.Record(new HistoryEvent(client, outcome.Phase(), "read", Key, outcome == Outcome.Ok ? value.ToString(CultureInfo.InvariantCulture) : null, null, returned));
            }
            else
            {
                var delta = random.Next(1, 6);
                var id = $"lab-{lab.Settings.Seed}-counter-{client}-{sequence++}";
                _history!.Record(new HistoryEvent(client, "invoke", "incr", Key, delta.ToString(CultureInfo.InvariantCulture), null, invoked));
                var reply = await http.SendAsync(HttpMethod.Post, node, $"/v1/incr/default/{Key}?delta={delta}", null, new Dictionary<string, string> { ["Idempotency-Key"] = id }).ConfigureAwait(false);
                var outcome = reply.WriteOutcome;
                var returned = lab.NowNs;
                _increments.Add((delta, outcome, invoked, returned));
                Counts.Add(outcome);
                _history.Record(new HistoryEvent(client, outcome.Phase(), "incr", Key, outcome == Outcome.Ok ? reply.Json.GetProperty("value").GetInt64().ToString(CultureInfo.InvariantCulture) : null, null, returned, reply.ErrorText, node));
            }
        }
    }

    public async Task<WorkloadResult> CheckAsync(LabContext lab, CancellationToken cancellationToken)
    {
        _history!.Dispose();
        using var http = new LabHttp(lab.Nodes, TimeSpan.FromSeconds(5));
        long? final = null;
        for (var attempt = 0; attempt < 30 && final is null; attempt++)
        {
            var reply = await http.SendAsync(HttpMethod.Get, attempt % lab.Nodes.Count, $"/v1/kv/default/{Key}").ConfigureAwait(false);
            final = reply.Status == HttpStatusCode.OK ? long.Parse(reply.Text, CultureInfo.InvariantCulture) : reply.Status == HttpStatusCode.NotFound ? 0 : null;
            if (final is null)
            {
                await Task.Delay(500, cancellationToken).ConfigureAwait(false);
            }
        }

        if (final is null)
        {
            return WorkloadResult.From(this, [new Anomaly("unknown", "the final read of the counter never succeeded")], "no final read", _history.Path, decided: false);
        }

        var increments = _increments.ToList();
        var anomalies = CounterChecker.Check(
            increments.Where(i => i.Outcome == Outcome.Ok).Select(i => i.Delta),
            increments.Where(i => i.Outcome == Outcome.Unknown).Select(i => i.Delta),
            0,
            final.Value).ToList();
        var evidence = new List<string>();
        anomalies.AddRange(CheckReads(increments, _reads.ToList(), evidence));
        var acked = increments.Where(i => i.Outcome == Outcome.Ok).Sum(i => i.Delta);
        var unknown = increments.Where(i => i.Outcome == Outcome.Unknown).Sum(i => i.Delta);
        return WorkloadResult.From(this, anomalies, $"final {final} in [{acked}, {acked + unknown}]; {_reads.Count:N0} reads checked", _history.Path, evidence);
    }

    /// <summary>Each read against the increments around it, and reads against each other in real-time order.</summary>
    internal static IEnumerable<Anomaly> CheckReads(IReadOnlyList<(long Delta, Outcome Outcome, long Invoked, long Returned)> increments, IReadOnlyList<(long Value, long Invoked, long Returned)> reads, List<string> evidence)
    {
        // Prefix sums over completion (acknowledged) and invocation (possibly applied) times.
        var acked = increments.Where(i => i.Outcome == Outcome.Ok).OrderBy(i => i.Returned).ToList();
        var begun = increments.Where(i => i.Outcome != Outcome.Fail).OrderBy(i => i.Invoked).ToList();
        var ackedTimes = acked.Select(i => i.Returned).ToArray();
        var ackedSums = Prefix(acked.Select(i => i.Delta));
        var begunTimes = begun.Select(i => i.Invoked).ToArray();
        var begunSums = Prefix(begun.Select(i => i.Delta));
        foreach (var read in reads.OrderBy(r => r.Invoked))
        {
            var low = ackedSums[UpperBound(ackedTimes, read.Invoked)];
            var high = begunSums[UpperBound(begunTimes, read.Returned)];
            if (read.Value < low)
            {
                evidence.Add($"read [{read.Invoked / 1e6:F3} ms, {read.Returned / 1e6:F3} ms] → {read.Value}; increments acknowledged before it began sum to {low}");
                yield return new Anomaly("stale-counter-read", $"a read returned {read.Value} although increments acknowledged before it began sum to {low}");
                yield break;
            }

            if (read.Value > high)
            {
                evidence.Add($"read [{read.Invoked / 1e6:F3} ms, {read.Returned / 1e6:F3} ms] → {read.Value}; all increments begun before it ended sum to {high}");
                yield return new Anomaly("counter-read-too-high", $"a read returned {read.Value}, more than all {high} begun before it ended");
                yield break;
            }
        }

        // Real-time order: a read that began after another ended must not see less.
        var byEnd = reads.OrderBy(r => r.Returned).ToList();
        var byStart = reads.OrderBy(r => r.Invoked).ToList();
        long maxEnded = long.MinValue;
        (long Value, long Invoked, long Returned) witness = default;
        var e = 0;
        foreach (var read in byStart)
        {
            while (e < byEnd.Count && byEnd[e].Returned < read.Invoked)
            {
                if (byEnd[e].Value > maxEnded)
                {
                    maxEnded = byEnd[e].Value;
                    witness = byEnd[e];
                }

                e++;
            }

            if (read.Value < maxEnded)
            {
                evidence.Add($"read [{witness.Invoked / 1e6:F3} ms, {witness.Returned / 1e6:F3} ms] → {witness.Value}");
                evidence.Add($"read [{read.Invoked / 1e6:F3} ms, {read.Returned / 1e6:F3} ms] → {read.Value}");
                yield return new Anomaly("counter-went-back", $"a read returned {read.Value} after an earlier read (ended before it began) returned {maxEnded}");
                yield break;
            }
        }
    }

    private static long[] Prefix(IEnumerable<long> values)
    {
        var list = new List<long> { 0 };
        foreach (var v in values)
        {
            list.Add(list[^1] + v);
        }

        return [.. list];
    }

    /// <summary>How many of the sorted times are strictly before <paramref name="time"/>.</summary>
    private static int UpperBound(long[] times, long time)
    {
        var index = Array.BinarySearch(times, time);
        if (index < 0)
        {
            return ~index;
        }

        while (index > 0 && times[index - 1] == time)
        {
            index--;
        }

        return index;
    }
}
