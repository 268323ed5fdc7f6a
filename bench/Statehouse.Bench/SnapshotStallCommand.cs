using System.Diagnostics;
using System.Net.Http;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using V1 = Statehouse.V1;

namespace Statehouse.Bench;

/// <summary>
/// Loads N keys (transactions of many puts, several in flight), then runs a steady set of closed-loop writers and
/// triggers POST /v1/snapshot: compares the longest single-write latency while the snapshot is written with the
/// longest one before it.
/// </summary>
internal static class SnapshotStallCommand
{
    public static async Task<int> RunAsync(Args a)
    {
        var endpoint = a.RequiredStr("endpoint");
        var http = a.RequiredStr("http");
        var keyCount = a.Int("keys", 1_000_000);
        var valueBytes = a.Int("value-bytes", 100);
        var loadClients = a.Int("load-clients", 8);
        var txnSize = a.Int("txn-size", 100);
        var writers = a.Int("writers", 16);
        var beforeSeconds = a.Double("before-seconds", 3);
        var afterSeconds = a.Double("after-seconds", 2);
        var stallMs = a.Double("stall-ms", 50);
        var serverPid = a.Int("server-pid", 0);
        var round = a.Int("round", 0);
        var settle = !a.Flag("no-settle");
        var output = a.OptionalStr("out");
        a.RejectUnknown();

        var keys = Keys.Make("bench/", keyCount);
        using var channel = KvTargets.Channel(endpoint);
        using var httpClient = new HttpClient { BaseAddress = new Uri(http), Timeout = TimeSpan.FromSeconds(120) };
        var kv = new V1.KV.KVClient(channel);
        var maintenance = new V1.Maintenance.MaintenanceClient(channel);

        var status = await maintenance.StatusAsync(new V1.StatusRequest(), deadline: KvTargets.Deadline());
        if (status.Keys < keyCount)
        {
            await LoadAsync(kv, keys, valueBytes, loadClients, txnSize).ConfigureAwait(false);
        }
        else
        {
            Console.WriteLine($"load: skipped, the node already holds {status.Keys} keys");
        }

        if (settle)
        {
            // A first snapshot so the measured one is not joined to an automatic one already running.
            var first = await SnapshotAsync(httpClient).ConfigureAwait(false);
            Console.WriteLine($"settle snapshot (no writers): {first.DurationMs} ms, {first.Bytes / 1e6:F1} MB");
        }

        status = await maintenance.StatusAsync(new V1.StatusRequest(), deadline: KvTargets.Deadline());
        Console.WriteLine($"node: {status.Keys} keys, {status.Bytes / 1e6:F1} MB live, revision {status.Revision}, wal {status.WalBytes / 1e6:F1} MB");

        // Steady writers: each records (start, end) of every write into its own preallocated arrays.
        const int MaxSamplesPerWriter = 400_000;
        var starts = new long[writers][];
        var ends = new long[writers][];
        var counts = new int[writers];
        var errors = new ErrorLog();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(beforeSeconds + afterSeconds + 180));
        var tasks = new Task[writers];
        for (var w = 0; w < writers; w++)
        {
            starts[w] = new long[MaxSamplesPerWriter];
            ends[w] = new long[MaxSamplesPerWriter];
            var index = w;
            tasks[w] = Task.Run(async () =>
            {
                var random = new Random(1_000 + index);
                var value = Keys.Value(valueBytes, index);
                while (!stop.IsCancellationRequested && counts[index] < MaxSamplesPerWriter)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    try
                    {
                        await kv.PutAsync(new V1.PutRequest { Keyspace = "default", Key = UnsafeByteOperations.UnsafeWrap(keys[random.Next(keys.Length)]), Value = UnsafeByteOperations.UnsafeWrap(value) }, deadline: KvTargets.Deadline(), cancellationToken: stop.Token).ResponseAsync.ConfigureAwait(false);
                    }
                    catch (RpcException ex) when (!stop.IsCancellationRequested)
                    {
                        errors.Add(ex);
                        continue;
                    }
                    catch (RpcException) when (stop.IsCancellationRequested)
                    {
                        return;
                    }

                    starts[index][counts[index]] = t0;
                    ends[index][counts[index]] = Stopwatch.GetTimestamp();
                    counts[index]++;
                }
            });
        }

        var windowStart = Stopwatch.GetTimestamp();
        await Task.Delay(TimeSpan.FromSeconds(beforeSeconds)).ConfigureAwait(false);
        var cpu0 = serverPid > 0 ? ProcCpu.CpuMicros(serverPid) : null;
        var snapStart = Stopwatch.GetTimestamp();
        var report = await SnapshotAsync(httpClient).ConfigureAwait(false);
        var snapEnd = Stopwatch.GetTimestamp();
        var cpu1 = serverPid > 0 ? ProcCpu.CpuMicros(serverPid) : null;
        await Task.Delay(TimeSpan.FromSeconds(afterSeconds)).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(TimeSpan.FromSeconds(15))).ConfigureAwait(false);

        var before = new LatencyHistogram();
        var during = new LatencyHistogram();
        var after = new LatencyHistogram();
        long worstStart = 0;
        for (var w = 0; w < writers; w++)
        {
            for (var i = 0; i < counts[w]; i++)
            {
                var (s, e) = (starts[w][i], ends[w][i]);
                var ns = LatencyHistogram.TicksToNs(e - s);
                if (s < windowStart + Stopwatch.Frequency / 2)
                {
                    continue; // the first 0.5 s warms up connections and JIT
                }

                if (e < snapStart)
                {
                    before.Record(ns);
                }
                else if (s <= snapEnd)
                {
                    if (ns > during.MaxNs)
                    {
                        worstStart = s;
                    }

                    during.Record(ns); // overlaps the snapshot window
                }
                else
                {
                    after.Record(ns);
                }
            }
        }

        var stallNs = (long)(stallMs * 1e6);
        var snapshotWallMs = Stopwatch.GetElapsedTime(snapStart, snapEnd).TotalMilliseconds;
        var result = new JsonObject
        {
            ["kind"] = "snapshot_stall",
            ["round"] = round,
            ["keys"] = status.Keys,
            ["live_bytes"] = status.Bytes,
            ["writers"] = writers,
            ["snapshot_duration_ms"] = report.DurationMs,
            ["snapshot_call_ms"] = Results.R(snapshotWallMs),
            ["snapshot_bytes"] = report.Bytes,
            ["writes_before"] = before.Count,
            ["writes_during"] = during.Count,
            ["writes_after"] = after.Count,
            ["before_writes_per_s"] = Results.R(before.Count / Math.Max(1e-3, Stopwatch.GetElapsedTime(windowStart + (Stopwatch.Frequency / 2), snapStart).TotalSeconds)),
            ["during_writes_per_s"] = Results.R(during.Count / Math.Max(1e-3, snapshotWallMs / 1000)),
            ["writes_during_over_stall_ms"] = during.CountAbove(stallNs),
            ["stall_ms"] = stallMs,
            ["worst_write_started_ms_after_snapshot_start"] = during.Count > 0 ? Results.R(Stopwatch.GetElapsedTime(snapStart, worstStart).TotalMilliseconds) : null,
            ["write_errors"] = errors.Total,
            ["server_cpu_ms_during_snapshot"] = cpu0 is { } c0 && cpu1 is { } c1 ? Results.R((c1 - c0) / 1000) : null,
        };
        Results.AddLatencies(result, "before_", before);
        Results.AddLatencies(result, "during_", during);
        Results.AddLatencies(result, "after_", after);
        if (errors.Total > 0)
        {
            result["error_summary"] = errors.Summary();
        }

        Console.WriteLine($"snapshot of {status.Keys} keys: {report.DurationMs} ms (call {snapshotWallMs:F0} ms), {report.Bytes / 1e6:F1} MB; " +
            $"writes before: {before.Count} max {Results.Ms(before.PercentileMs(1))} ms p99 {Results.Ms(before.PercentileMs(0.99))}; " +
            $"during: {during.Count} max {Results.Ms(during.PercentileMs(1))} ms p99 {Results.Ms(during.PercentileMs(0.99))}, {during.CountAbove(stallNs)} over {stallMs} ms; " +
            $"after: {after.Count} max {Results.Ms(after.PercentileMs(1))} ms; errors {errors.Total}");
        Results.Append(output, result);
        return 0;
    }

    internal static async Task LoadAsync(V1.KV.KVClient kv, byte[][] keys, int valueBytes, int clients, int txnSize)
    {
        var value = Keys.Value(valueBytes, 99);
        var batches = (keys.Length + txnSize - 1) / txnSize;
        var next = -1;
        var errors = new ErrorLog();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(600));
        var sw = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int b;
            while ((b = Interlocked.Increment(ref next)) < batches && !timeout.IsCancellationRequested)
            {
                var txn = new V1.TxnRequest();
                for (var i = b * txnSize; i < Math.Min(keys.Length, (b + 1) * txnSize); i++)
                {
                    txn.Success.Add(new V1.TxnOp { Put = new V1.PutRequest { Keyspace = "default", Key = UnsafeByteOperations.UnsafeWrap(keys[i]), Value = UnsafeByteOperations.UnsafeWrap(value) } });
                }

                for (var attempt = 0; attempt < 5; attempt++)
                {
                    try
                    {
                        await kv.TxnAsync(txn, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: timeout.Token).ResponseAsync.ConfigureAwait(false);
                        break;
                    }
                    catch (RpcException ex) when (!timeout.IsCancellationRequested)
                    {
                        errors.Add(ex);
                        await Task.Delay(100).ConfigureAwait(false);
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        Console.WriteLine($"load: {keys.Length} keys in {sw.Elapsed.TotalSeconds:F1} s ({keys.Length / sw.Elapsed.TotalSeconds:F0} keys/s, txns of {txnSize}, {clients} in flight), errors {errors.Total} {errors.Summary()}");
    }

    internal sealed record SnapshotAnswer(long DurationMs, long Bytes, long Index);

    internal static async Task<SnapshotAnswer> SnapshotAsync(HttpClient http)
    {
        using var response = await http.PostAsync(new Uri("/v1/snapshot", UriKind.Relative), null).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /v1/snapshot: {(int)response.StatusCode} {body}");
        }

        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        return new SnapshotAnswer(root.GetProperty("durationMs").GetInt64(), root.GetProperty("bytes").GetInt64(), root.GetProperty("index").GetInt64());
    }
}
