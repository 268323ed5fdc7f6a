using System.Diagnostics;
using System.Text.Json.Nodes;
using Statehouse.Cluster;
using Statehouse.Core.Model;

namespace Statehouse.Bench;

/// <summary>
/// The in-process ceiling: N writer tasks each awaiting <see cref="StatehouseNode.ProposeAsync"/> of a PutCommand
/// (durable and applied on return), no network, no serialization to the wire.
/// </summary>
internal static class EngineCommand
{
    public static async Task<int> RunAsync(Args a)
    {
        var writers = a.Int("writers", 64);
        var seconds = a.Double("seconds", 10);
        var warmup = a.Double("warmup", 1);
        var valueBytes = a.Int("value-bytes", 100);
        var keyCount = a.Int("keys", 100_000);
        var round = a.Int("round", 0);
        var dataDir = a.Str("data", Path.Combine(Path.GetTempPath(), $"statehouse-bench-engine-{Environment.ProcessId}"));
        var noSync = a.Flag("unsafe-no-fsync");
        var output = a.OptionalStr("out");
        a.RejectUnknown();

        if (Directory.Exists(dataDir))
        {
            Directory.Delete(dataDir, recursive: true);
        }

        var keys = Keys.Make("bench/", keyCount);
        var node = await StatehouseNode.StartAsync(new NodeOptions { DataDirectory = dataDir, SyncWrites = !noSync }, loggerFactory: null).ConfigureAwait(false);
        try
        {
            var freq = Stopwatch.Frequency;
            var measureFrom = Stopwatch.GetTimestamp() + (long)(warmup * freq);
            var measureTo = measureFrom + (long)(seconds * freq);
            var histograms = new LatencyHistogram[writers];
            long failures = 0;
            string? firstFailure = null;
            using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(warmup + seconds + 30));
            var tasks = new Task[writers];
            for (var w = 0; w < writers; w++)
            {
                var h = histograms[w] = new LatencyHistogram();
                var random = new Random(w);
                var value = Keys.Value(valueBytes, w);
                tasks[w] = Task.Run(async () =>
                {
                    for (long i = 0; i < 100_000_000 && !hardStop.IsCancellationRequested; i++)
                    {
                        var t0 = Stopwatch.GetTimestamp();
                        if (t0 >= measureTo)
                        {
                            return;
                        }

                        var result = await node.ProposeAsync(new PutCommand("default", keys[random.Next(keys.Length)], value), hardStop.Token).ConfigureAwait(false);
                        var t1 = Stopwatch.GetTimestamp();
                        if (result is ErrorResult error)
                        {
                            Interlocked.Increment(ref failures);
                            Interlocked.CompareExchange(ref firstFailure, $"{error.Code}: {error.Message}", null);
                        }
                        else if (t0 >= measureFrom && t1 <= measureTo)
                        {
                            h.Record(LatencyHistogram.TicksToNs(t1 - t0));
                        }
                    }
                });
            }

            await LoadCommand.SleepUntilAsync(measureFrom).ConfigureAwait(false);
            var cpu0 = ProcCpu.CpuMicros(Environment.ProcessId);
            var log0 = node.LastLogIndex;
            await LoadCommand.SleepUntilAsync(measureTo).ConfigureAwait(false);
            var cpu1 = ProcCpu.CpuMicros(Environment.ProcessId);
            var log1 = node.LastLogIndex;
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);

            var all = new LatencyHistogram();
            foreach (var h in histograms)
            {
                all.Merge(h);
            }

            // Sanity: a write is visible in the applied view when ProposeAsync returns.
            var checkKey = "bench/check"u8.ToArray();
            var checkValue = Keys.Value(16, 7);
            await node.ProposeAsync(new PutCommand("default", checkKey, checkValue), CancellationToken.None).ConfigureAwait(false);
            var visible = node.View.Get("default", checkKey) is { } kv && kv.Value.AsSpan().SequenceEqual(checkValue);
            var perSec = all.Count / seconds;
            var entries = log1 - log0;
            double? cpuUs = cpu0 is { } c0 && cpu1 is { } c1 && all.Count > 0 ? (c1 - c0) / all.Count : null;
            var result = new JsonObject
            {
                ["kind"] = "engine",
                ["writers"] = writers,
                ["round"] = round,
                ["seconds"] = seconds,
                ["fsync"] = !noSync,
                ["ops"] = all.Count,
                ["ops_per_s"] = Results.R(perSec),
                ["log_entries_per_s"] = Results.R(entries / seconds),
                ["commands_per_entry"] = entries > 0 ? Results.R((double)all.Count / entries) : null,
                ["errors"] = failures,
                ["read_your_write_ok"] = visible,
                ["process_cpu_us_per_op"] = cpuUs is { } cu ? Results.R(cu) : null,
            };
            Results.AddLatencies(result, "", all);
            if (firstFailure is not null)
            {
                result["error_summary"] = firstFailure;
            }

            Console.WriteLine($"engine writers={writers}: {perSec:F0} durable puts/s, {entries / seconds:F0} log entries/s ({(entries > 0 ? (double)all.Count / entries : 0):F1} commands/entry), p50 {Results.Ms(all.PercentileMs(0.5))} ms p99 {Results.Ms(all.PercentileMs(0.99))} ms p999 {Results.Ms(all.PercentileMs(0.999))} ms max {Results.Ms(all.PercentileMs(1))} ms, errors {failures}, CPU {cpuUs:F1} µs/op (writers included), visible={visible}");
            Results.Append(output, result);
            return 0;
        }
        finally
        {
            await node.DisposeAsync().ConfigureAwait(false);
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
