using System.Collections.Concurrent;
using System.Globalization;
using Statehouse.Checking;
using Statehouse.Chaos.Formats;
using Statehouse.Chaos.Runner;

namespace Statehouse.Chaos.Workloads;

/// <summary>
/// lease-lock: clients take a lock (<c>lock/holder</c>, created only if absent, attached to a 2 s lease) whose fencing
/// token is the revision that created it; while they think they hold it they keep the lease alive and write the
/// protected resource (<c>lock/resource</c>) in a transaction that requires the lock key's create revision to equal
/// their token. Some holders "pause" past the lease's TTL and then write with their old token, which must be refused.
/// After the run the store's history of <c>lock/</c> is replayed: every accepted write must carry the token of the
/// acquisition holding the lock at that revision (<see cref="LeaseLockChecker"/> plus a hold check), and no
/// acquisition may happen while the lock is held.
/// </summary>
internal sealed class LeaseLockWorkload : IWorkload
{
    private const string Holder = "lock/holder";
    private const string Resource = "lock/resource";
    private const int TtlSeconds = 2;
    private readonly ConcurrentBag<(long Token, long Revision)> _ackedWrites = [];
    private readonly ConcurrentBag<long> _ackedAcquisitions = [];
    private HistoryLog? _history;
    private long _from;
    private long _staleAttempts;
    private long _staleRefused;

    public string Name => "lease-lock";

    public OpCounts Counts { get; } = new();

    public async Task SetupAsync(LabContext lab, CancellationToken cancellationToken)
    {
        _history = lab.OpenHistory(Name);
        using var http = new LabHttp(lab.Nodes, TimeSpan.FromSeconds(5));
        _from = await http.LeaderRevisionAsync(cancellationToken).ConfigureAwait(false) + 1;
    }

    public async Task RunClientAsync(LabContext lab, int client, CancellationToken stop)
    {
        using var http = new LabHttp(lab.Nodes, TimeSpan.FromSeconds(1));
        var random = lab.RandomFor(Name, client);
        var sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            var grant = await Op(client, "grant", $"ttl {TtlSeconds}", () => http.SendAsync(HttpMethod.Post, random.Next(lab.Nodes.Count), "/v1/leases", $"{{\"ttlSeconds\":{TtlSeconds}}}", null, "application/json")).ConfigureAwait(false);
            if (!grant.Success)
            {
                await Pause(100).ConfigureAwait(false);
                continue;
            }

            var lease = grant.Json.GetProperty("id").GetInt64();
            var id = $"c{client}-{sequence++}";
            var acquire = await Op(client, "acquire", id, () => http.TxnAsync(random.Next(lab.Nodes.Count), new
            {
                compare = new[] { new { key = Holder, target = "exists", op = "==", number = 0L } },
                success = new[] { new { put = new { key = Holder, value = id, lease } } },
                requestId = $"lab-{lab.Settings.Seed}-lock-{id}",
            })).ConfigureAwait(false);
            if (!acquire.Success || !acquire.Json.GetProperty("succeeded").GetBoolean())
            {
                // Held by someone else, or unknown: give the lease back (revoking also drops a lock we may have got).
                await http.SendAsync(HttpMethod.Delete, random.Next(lab.Nodes.Count), $"/v1/leases/{lease}").ConfigureAwait(false);
                await Pause(random.Next(20, 200)).ConfigureAwait(false);
                continue;
            }

            var token = acquire.Json.GetProperty("revision").GetInt64();
            _ackedAcquisitions.Add(token);
            for (var step = random.Next(1, 6); step > 0 && !stop.IsCancellationRequested; step--)
            {
                var paused = random.Next(10) == 0;
                if (paused)
                {
                    // A holder stalls past its TTL (a GC pause, a hung VM) and then writes as if it still held the lock.
                    await Pause((TtlSeconds * 1000) + 700).ConfigureAwait(false);
                }
                else
                {
                    await Op(client, "keepalive", lease.ToString(CultureInfo.InvariantCulture), () => http.SendAsync(HttpMethod.Post, random.Next(lab.Nodes.Count), $"/v1/leases/{lease}/keepalive")).ConfigureAwait(false);
                }

                var write = await Op(client, "fenced-write", $"token {token}", () => http.TxnAsync(random.Next(lab.Nodes.Count), new
                {
                    compare = new[] { new { key = Holder, target = "createRevision", op = "==", number = token } },
                    success = new[] { new { put = new { key = Resource, value = $"{token}:{id}:{step}" } } },
                    requestId = $"lab-{lab.Settings.Seed}-lock-{id}-{step}",
                })).ConfigureAwait(false);
                var accepted = write.Success && write.Json.GetProperty("succeeded").GetBoolean();
                if (accepted)
                {
                    _ackedWrites.Add((token, write.Json.GetProperty("revision").GetInt64()));
                }

                if (paused)
                {
                    Interlocked.Increment(ref _staleAttempts);
                    if (write.Success && !accepted)
                    {
                        Interlocked.Increment(ref _staleRefused);
                    }

                    break;
                }
            }

            await Op(client, "release", $"token {token}", () => http.TxnAsync(random.Next(lab.Nodes.Count), new
            {
                compare = new[] { new { key = Holder, target = "createRevision", op = "==", number = token } },
                success = new[] { new { delete = new { key = Holder } } },
                requestId = $"lab-{lab.Settings.Seed}-lock-{id}-release",
            })).ConfigureAwait(false);
            await http.SendAsync(HttpMethod.Delete, random.Next(lab.Nodes.Count), $"/v1/leases/{lease}").ConfigureAwait(false);
        }

        async Task Pause(int ms)
        {
            try
            {
                await Task.Delay(ms, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        async Task<Reply> Op(int c, string op, string what, Func<Task<Reply>> call)
        {
            _history!.Record(new HistoryEvent(c, "invoke", op, Holder, what, null, lab.NowNs));
            var reply = await call().ConfigureAwait(false);
            var outcome = reply.Success && reply.Text.Contains("\"succeeded\":false", StringComparison.Ordinal) ? Outcome.Fail : reply.WriteOutcome;
            Counts.Add(outcome);
            _history.Record(new HistoryEvent(c, outcome.Phase(), op, Holder, reply.Success ? reply.Text : reply.Status?.ToString(), null, lab.NowNs));
            return reply;
        }
    }

    public async Task<WorkloadResult> CheckAsync(LabContext lab, CancellationToken cancellationToken)
    {
        _history!.Dispose();
        var last = Math.Max(_from, _ackedWrites.Select(w => w.Revision).Concat(_ackedAcquisitions).DefaultIfEmpty().Max());
        using (var http = new LabHttp(lab.Nodes, TimeSpan.FromSeconds(5)))
        {
            for (var n = 0; n < lab.Nodes.Count; n++)
            {
                var status = await http.SendAsync(HttpMethod.Get, n, "/v1/status").ConfigureAwait(false);
                if (status.Success && status.Json.GetProperty("isLeader").GetBoolean())
                {
                    last = Math.Max(last, status.Json.GetProperty("revision").GetInt64());
                }
            }
        }

        var history = await SseWatch.ReplayAsync(lab.Nodes, "lock/", _from, last, cancellationToken).ConfigureAwait(false);
        var anomalies = new List<Anomaly>();
        var evidence = new List<string>();
        var acquisitions = new List<long>();
        var writes = new List<(long Token, long Revision)>();
        long? held = null;
        foreach (var change in history)
        {
            if (change.Key == Holder)
            {
                if (change.Value is null)
                {
                    held = null;
                    continue;
                }

                if (held is { } current)
                {
                    anomalies.Add(new Anomaly("lock-double-acquired", $"the lock was created again at revision {change.Revision} while acquisition {current} still held it"));
                    evidence.Add($"r{current} acquired; r{change.Revision} acquired again by {change.Value} without a release or expiry between");
                }

                held = change.Revision;
                acquisitions.Add(change.Revision);
            }
            else if (change.Key == Resource && change.Value is not null)
            {
                var token = long.Parse(change.Value[..change.Value.IndexOf(':', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
                writes.Add((token, change.Revision));
                if (held != token)
                {
                    anomalies.Add(new Anomaly("write-without-lock", $"a write with token {token} was accepted at revision {change.Revision} while the lock was {(held is null ? "free" : $"held by {held}")}"));
                    evidence.Add($"r{change.Revision} resource = {change.Value}; lock at that revision: {(held is null ? "free" : $"r{held}")}");
                }
            }
        }

        anomalies.AddRange(LeaseLockChecker.Check(acquisitions, writes));
        var replayed = writes.ToHashSet();
        var lost = _ackedWrites.Where(w => !replayed.Contains(w)).ToList();
        if (lost.Count > 0)
        {
            anomalies.Add(new Anomaly("lost-write", $"{lost.Count} accepted fenced write(s) missing from the store's history, first: token {lost[0].Token} at revision {lost[0].Revision}"));
        }

        var lostAcquisitions = _ackedAcquisitions.Where(a => !acquisitions.Contains(a)).ToList();
        if (lostAcquisitions.Count > 0)
        {
            anomalies.Add(new Anomaly("lost-acquisition", $"{lostAcquisitions.Count} acknowledged acquisition(s) missing from the store's history, first: revision {lostAcquisitions[0]}"));
        }

        return WorkloadResult.From(this, anomalies.Take(10).ToList(),
            $"{acquisitions.Count:N0} acquisitions, {writes.Count:N0} fenced writes accepted; {_staleAttempts:N0} writes after a pause past the TTL, {_staleRefused:N0} refused",
            _history.Path, evidence.Take(10).ToList());
    }
}
