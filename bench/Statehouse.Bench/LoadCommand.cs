using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Statehouse.Bench;

/// <summary>
/// Closed-loop load: N client tasks, each awaiting its own request, over one shared gRPC channel.
/// A warm-up period is run and discarded; then ops/s, latency percentiles, errors and CPU per op (server from
/// /proc/PID/stat, client from its own) are measured over exactly the measured window.
/// </summary>
internal static class LoadCommand
{
    public static async Task<int> RunAsync(Args a)
    {
        var target = a.RequiredStr("target");
        var endpoint = a.RequiredStr("endpoint");
        var workload = a.Str("workload", "put");
        var clients = a.Int("clients", 16);
        var seconds = a.Double("seconds", 10);
        var warmup = a.Double("warmup", 1);
        var valueBytes = a.Int("value-bytes", 100);
        var keyCount = a.Int("keys", 100_000);
        var serverPid = a.Int("server-pid", 0);
        var round = a.Int("round", 0);
        var output = a.OptionalStr("out");
        var idleWaitMs = a.Int("idle-wait-ms", 5_000);
        var maxOpsPerClient = a.Long("max-ops-per-client", 10_000_000);
        var read = KvTargets.ParseRead(a.Str("read", "default"));
        var clusterPids = ParsePids(a.OptionalStr("cluster-pids"));   // every member of a cluster: CPU per op of the whole cluster
        var label = a.OptionalStr("label");                           // the case name in cluster-report (default: the workload)
        var via = a.OptionalStr("via");                               // leader | follower: which member the clients talk to
        a.RejectUnknown();
        if (workload is not ("put" or "get" or "mixed"))
        {
            throw new ArgumentException("--workload must be put, get or mixed.");
        }

        if (clients is < 1 or > 4096 || seconds is <= 0 or > 3600)
        {
            throw new ArgumentException("--clients must be 1..4096 and --seconds 0..3600.");
        }

        var keys = Keys.Make("bench/", keyCount);
        using var kv = KvTargets.Create(target, endpoint, read);
        await kv.PutAsync(keys[0], Keys.Value(valueBytes, 0), CancellationToken.None).ConfigureAwait(false); // connect, fail fast

        var idle = idleWaitMs > 0 ? await ProcCpu.WaitForIdleAsync(80, TimeSpan.FromMilliseconds(idleWaitMs)).ConfigureAwait(false) : double.NaN;

        var freq = Stopwatch.Frequency;
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(warmup * freq);
        var measureTo = measureFrom + (long)(seconds * freq);
        var errors = new ErrorLog();
        var histograms = new LatencyHistogram[clients];
        var tasks = new Task[clients];
        using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(warmup + seconds + 30));
        for (var c = 0; c < clients; c++)
        {
            var h = histograms[c] = new LatencyHistogram();
            var seed = (round * 10_007) + c;
            tasks[c] = Task.Run(() => ClientLoopAsync(kv, workload, keys, Keys.Value(valueBytes, seed), seed, h, measureFrom, measureTo, maxOpsPerClient, errors, hardStop.Token));
        }

        await SleepUntilAsync(measureFrom).ConfigureAwait(false);
        var server0 = serverPid > 0 ? ProcCpu.CpuMicros(serverPid) : null;
        var cluster0 = SumCpu(clusterPids);
        var self0 = ProcCpu.CpuMicros(Environment.ProcessId);
        await SleepUntilAsync(measureTo).ConfigureAwait(false);
        var server1 = serverPid > 0 ? ProcCpu.CpuMicros(serverPid) : null;
        var cluster1 = SumCpu(clusterPids);
        var self1 = ProcCpu.CpuMicros(Environment.ProcessId);
        var allClients = Task.WhenAll(tasks);
        if (await Task.WhenAny(allClients, Task.Delay(TimeSpan.FromSeconds(15))).ConfigureAwait(false) != allClients)
        {
            Console.Error.WriteLine("warning: some clients did not finish within 15 s of the end of the window (requests stuck)");
        }

        var all = new LatencyHistogram();
        foreach (var h in histograms)
        {
            all.Merge(h);
        }

        var opsPerSec = all.Count / seconds;
        double? serverUs = server0 is { } s0 && server1 is { } s1 && all.Count > 0 ? (s1 - s0) / all.Count : null;
        double? clientUs = self0 is { } c0 && self1 is { } c1 && all.Count > 0 ? (c1 - c0) / all.Count : null;
        double? clusterUs = cluster0 is { } k0 && cluster1 is { } k1 && all.Count > 0 ? (k1 - k0) / all.Count : null;
        var result = new JsonObject
        {
            ["kind"] = "load",
            ["target"] = target,
            ["workload"] = workload,
            ["clients"] = clients,
            ["round"] = round,
            ["seconds"] = seconds,
            ["ops"] = all.Count,
            ["ops_per_s"] = Results.R(opsPerSec),
            ["errors"] = errors.Total,
            ["server_cpu_us_per_op"] = serverUs is { } su ? Results.R(su) : null,
            ["client_cpu_us_per_op"] = clientUs is { } cu ? Results.R(cu) : null,
            ["idle_pct_before"] = Results.R(idle),
        };
        if (clusterPids.Length > 0 || label is not null || via is not null || read != ReadMode.Default)
        {
            result["case"] = label ?? workload;
            result["via"] = via;
            result["read"] = workload == "put" ? null : KvTargets.ReadName(target, read);
            result["cluster_cpu_us_per_op"] = clusterUs is { } ku ? Results.R(ku) : null;
            result["members"] = clusterPids.Length;
        }

        Results.AddLatencies(result, "", all);
        if (errors.Total > 0)
        {
            result["error_summary"] = errors.Summary();
        }

        Console.WriteLine($"{target,-10} {label ?? workload,-5}{(via is null ? "" : " via " + via)} c={clients,-4} {opsPerSec,9:F0} ops/s  p50 {Results.Ms(all.PercentileMs(0.5))} ms  p99 {Results.Ms(all.PercentileMs(0.99))} ms  p999 {Results.Ms(all.PercentileMs(0.999))} ms  max {Results.Ms(all.PercentileMs(1))} ms  errors {errors.Total}  server {serverUs:F1} µs/op{(clusterUs is { } kus ? $"  cluster {kus:F1} µs/op" : "")}  client {clientUs:F1} µs/op  (idle before {idle:F0}%)");
        if (errors.Total > 0)
        {
            Console.WriteLine("  errors: " + errors.Summary());
        }

        Results.Append(output, result);
        return 0;
    }

    private static async Task ClientLoopAsync(
        IKvTarget kv, string workload, byte[][] keys, byte[] value, int seed, LatencyHistogram histogram,
        long measureFrom, long measureTo, long maxOps, ErrorLog errors, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        for (long i = 0; i < maxOps && !cancellationToken.IsCancellationRequested; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            if (t0 >= measureTo)
            {
                return;
            }

            var key = keys[random.Next(keys.Length)];
            var put = workload == "put" || (workload == "mixed" && random.Next(10) == 0);
            try
            {
                if (put)
                {
                    await kv.PutAsync(key, value, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await kv.GetAsync(key, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (t0 >= measureFrom)
                {
                    errors.Add(ex);
                }

                await Task.Delay(1, CancellationToken.None).ConfigureAwait(false); // a down server must not turn this into a spin
                continue;
            }

            var t1 = Stopwatch.GetTimestamp();
            if (t0 >= measureFrom && t1 <= measureTo)
            {
                histogram.Record(LatencyHistogram.TicksToNs(t1 - t0));
            }
        }
    }

    private static int[] ParsePids(string? list) => list is null
        ? []
        : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>CPU time of all <paramref name="pids"/> together; null when there are none or one of them is gone.</summary>
    private static double? SumCpu(int[] pids)
    {
        if (pids.Length == 0)
        {
            return null;
        }

        double sum = 0;
        foreach (var pid in pids)
        {
            if (ProcCpu.CpuMicros(pid) is not { } us)
            {
                return null;
            }

            sum += us;
        }

        return sum;
    }

    public static async Task SleepUntilAsync(long timestamp)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining).ConfigureAwait(false);
        }
    }
}

/// <summary>Writes every key once (so gets find them), with many concurrent clients; bounded in time.</summary>
internal static class FillCommand
{
    public static async Task<int> RunAsync(Args a)
    {
        var target = a.RequiredStr("target");
        var endpoint = a.RequiredStr("endpoint");
        var keyCount = a.Int("keys", 100_000);
        var valueBytes = a.Int("value-bytes", 100);
        var clients = a.Int("clients", 64);
        var maxSeconds = a.Double("max-seconds", 120);
        a.RejectUnknown();

        var keys = Keys.Make("bench/", keyCount);
        var value = Keys.Value(valueBytes, 42);
        using var kv = KvTargets.Create(target, endpoint);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(maxSeconds));
        var next = -1;
        var errors = new ErrorLog();
        var sw = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < keys.Length && !timeout.IsCancellationRequested)
            {
                try
                {
                    await kv.PutAsync(keys[i], value, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (!timeout.IsCancellationRequested)
                {
                    errors.Add(ex);
                }
            }
        })).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var done = Math.Min(next, keys.Length);
        Console.WriteLine($"fill {target}: {done} keys in {sw.Elapsed.TotalSeconds:F1} s ({done / sw.Elapsed.TotalSeconds:F0}/s), errors {errors.Total} {errors.Summary()}");
        return done >= keys.Length && errors.Total == 0 ? 0 : 1;
    }
}
