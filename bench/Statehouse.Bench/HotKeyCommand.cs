using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Statehouse.Bench;

/// <summary>
/// A hot key against a node under default settings (issue 11, item 2): <c>--writers</c> tasks overwrite ONE key
/// <c>--writes</c> times in total while one "bystander" client writes other keys closed-loop; the same writers then (or
/// before, per <c>--mode</c>) spread the same number of writes over many keys. The bystander's latency in the two runs is
/// the comparison: a hot key must not slow unrelated writes (target: p99 within 2x of the run without it, no write over
/// 50 ms). Run each mode against a fresh node (bench/hotkey.sh does).
/// </summary>
internal static class HotKeyCommand
{
    public static async Task<int> RunAsync(Args a)
    {
        var endpoint = a.RequiredStr("endpoint");
        var mode = a.Str("mode", "hot");                     // hot: one key; spread: the same writes over --spread-keys keys
        var writes = a.Long("writes", 1_000_000);
        var writers = a.Int("writers", 32);
        var spreadKeys = a.Int("spread-keys", 100_000);
        var valueBytes = a.Int("value-bytes", 100);
        var maxSeconds = a.Double("max-seconds", 900);
        var serverPid = a.Int("server-pid", 0);
        var round = a.Int("round", 0);
        var output = a.OptionalStr("out");
        a.RejectUnknown();
        if (mode is not ("hot" or "spread"))
        {
            throw new ArgumentException("--mode must be hot or spread.");
        }

        if (writes is < 1 or > 100_000_000 || writers is < 1 or > 1024 || spreadKeys < 1 || maxSeconds is <= 0 or > 7200)
        {
            throw new ArgumentException("--writes 1..1e8, --writers 1..1024, --spread-keys >= 1, --max-seconds 0..7200.");
        }

        using var kv = KvTargets.Create("statehouse", endpoint);
        var hotKey = Encoding.UTF8.GetBytes("hot/the-key");
        var spread = Keys.Make("spread/", mode == "spread" ? spreadKeys : 1);
        var bystanderKeys = Keys.Make("bystander/", 10_000);
        var value = Keys.Value(valueBytes, round);
        await kv.PutAsync(hotKey, value, CancellationToken.None).ConfigureAwait(false); // connect, fail fast

        using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(maxSeconds));
        var errors = new ErrorLog();
        var writerLatency = new LatencyHistogram[writers];
        long issued = 0;
        var server0 = serverPid > 0 ? ProcCpu.CpuMicros(serverPid) : null;
        var started = Stopwatch.GetTimestamp();
        var writerTasks = Enumerable.Range(0, writers).Select(w =>
        {
            var h = writerLatency[w] = new LatencyHistogram();
            return Task.Run(async () =>
            {
                while (!hardStop.IsCancellationRequested)
                {
                    var n = Interlocked.Increment(ref issued);
                    if (n > writes)
                    {
                        return;
                    }

                    var key = mode == "hot" ? hotKey : spread[(int)(n % spread.Length)];
                    var t0 = Stopwatch.GetTimestamp();
                    try
                    {
                        await kv.PutAsync(key, value, hardStop.Token).ConfigureAwait(false);
                        h.Record(LatencyHistogram.TicksToNs(Stopwatch.GetTimestamp() - t0));
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !hardStop.IsCancellationRequested)
                    {
                        errors.Add(ex);
                    }
                }
            });
        }).ToList();

        // The bystander: one closed-loop client writing other keys for as long as the writers run.
        var bystander = new LatencyHistogram();
        var writersDone = Task.WhenAll(writerTasks);
        var bystanderTask = Task.Run(async () =>
        {
            var i = 0;
            while (!writersDone.IsCompleted && !hardStop.IsCancellationRequested)
            {
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    await kv.PutAsync(bystanderKeys[i++ % bystanderKeys.Length], value, hardStop.Token).ConfigureAwait(false);
                    bystander.Record(LatencyHistogram.TicksToNs(Stopwatch.GetTimestamp() - t0));
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !hardStop.IsCancellationRequested)
                {
                    errors.Add(ex);
                }
            }
        });
        try
        {
            await Task.WhenAll(writersDone, bystanderTask).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var server1 = serverPid > 0 ? ProcCpu.CpuMicros(serverPid) : null;
        var all = new LatencyHistogram();
        foreach (var h in writerLatency)
        {
            all.Merge(h);
        }

        var total = all.Count + bystander.Count;
        var result = new JsonObject
        {
            ["kind"] = "hotkey",
            ["mode"] = mode,
            ["round"] = round,
            ["writes"] = all.Count,
            ["writers"] = writers,
            ["seconds"] = Results.R(elapsed),
            ["writes_per_s"] = Results.R(all.Count / elapsed),
            ["bystander_ops"] = bystander.Count,
            ["bystander_p50_ms"] = Results.R(bystander.PercentileMs(0.5)),
            ["bystander_p99_ms"] = Results.R(bystander.PercentileMs(0.99)),
            ["bystander_max_ms"] = Results.R(bystander.PercentileMs(1)),
            ["writer_p99_ms"] = Results.R(all.PercentileMs(0.99)),
            ["writer_max_ms"] = Results.R(all.PercentileMs(1)),
            ["errors"] = errors.Total,
            ["server_cpu_us_per_op"] = server0 is { } s0 && server1 is { } s1 && total > 0 ? Results.R((s1 - s0) / total) : null,
            ["completed"] = !hardStop.IsCancellationRequested,
        };
        if (errors.Total > 0)
        {
            result["error_summary"] = errors.Summary();
        }

        Console.WriteLine($"hotkey {mode,-6} {all.Count} writes in {elapsed:F1} s ({all.Count / elapsed:F0}/s)  bystander {bystander.Count} ops p50 {Results.Ms(bystander.PercentileMs(0.5))} p99 {Results.Ms(bystander.PercentileMs(0.99))} max {Results.Ms(bystander.PercentileMs(1))} ms  writers p99 {Results.Ms(all.PercentileMs(0.99))} max {Results.Ms(all.PercentileMs(1))} ms  errors {errors.Total}");
        if (errors.Total > 0)
        {
            Console.WriteLine("  errors: " + errors.Summary());
        }

        Results.Append(output, result);
        return hardStop.IsCancellationRequested ? 1 : 0;
    }
}

/// <summary>The hot-key table: medians [min–max] per mode over rounds, the per-round p99 ratio, and the targets.</summary>
internal static class HotKeyReportCommand
{
    private static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;

    public static int Run(Args a)
    {
        var input = a.RequiredStr("in");
        a.RejectUnknown();
        var rows = File.ReadAllLines(input).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(r => (string?)r["kind"] == "hotkey").ToList();
        var sb = new StringBuilder();
        sb.AppendLine("| run | writes | writes/s | bystander ops | bystander p50 ms | bystander p99 ms | bystander max ms | writers p99 ms | writers max ms | server CPU µs/op | errors |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var mode in new[] { "spread", "hot" })
        {
            var runs = rows.Where(r => (string?)r["mode"] == mode).ToList();
            if (runs.Count == 0)
            {
                continue;
            }

            sb.AppendLine(Inv, $"| {(mode == "hot" ? "one hot key" : "spread over many keys")} | {Spread(runs, "writes", "F0")} | {Spread(runs, "writes_per_s", "F0")} | {Spread(runs, "bystander_ops", "F0")} | {Spread(runs, "bystander_p50_ms", "F2")} | {Spread(runs, "bystander_p99_ms", "F2")} | {Spread(runs, "bystander_max_ms", "F1")} | {Spread(runs, "writer_p99_ms", "F2")} | {Spread(runs, "writer_max_ms", "F1")} | {Spread(runs, "server_cpu_us_per_op", "F0")} | {runs.Sum(r => Num(r, "errors")):F0} |");
        }

        var ratios = rows.GroupBy(r => Num(r, "round"))
            .Select(g => (Hot: g.FirstOrDefault(r => (string?)r["mode"] == "hot"), Spread: g.FirstOrDefault(r => (string?)r["mode"] == "spread")))
            .Where(p => p.Hot is not null && p.Spread is not null)
            .Select(p => Num(p.Hot!, "bystander_p99_ms") / Num(p.Spread!, "bystander_p99_ms"))
            .Order().ToList();
        var hot = rows.Where(r => (string?)r["mode"] == "hot").ToList();
        if (ratios.Count > 0)
        {
            var median = ratios[ratios.Count / 2];
            var worstMax = hot.Max(r => Math.Max(Num(r, "bystander_max_ms"), Num(r, "writer_max_ms")));
            sb.AppendLine();
            sb.AppendLine(Inv, $"bystander p99, hot / spread: median {median:F2}x [{ratios[0]:F2}–{ratios[^1]:F2}] over {ratios.Count} round(s) — target ≤ 2.00x: {(ratios[^1] <= 2 ? "met" : "NOT met")}");
            sb.AppendLine(Inv, $"longest write in the hot runs: {worstMax:F1} ms — target ≤ 50 ms: {(worstMax <= 50 ? "met" : "NOT met")}");
            sb.AppendLine(Inv, $"hot runs completed: {hot.Count(r => r["completed"]?.GetValue<bool>() == true)}/{hot.Count}");
        }

        Console.Write(sb.ToString());
        return 0;
    }

    private static double Num(JsonObject r, string name) => r[name] is JsonValue v && v.TryGetValue<double>(out var d) ? d : double.NaN;

    private static string Spread(List<JsonObject> runs, string name, string format)
    {
        var values = runs.Select(r => Num(r, name)).Where(double.IsFinite).Order().ToList();
        if (values.Count == 0)
        {
            return "-";
        }

        var median = values[values.Count / 2].ToString(format, Inv);
        return values.Count == 1 ? median : $"{median} [{values[0].ToString(format, Inv)}–{values[^1].ToString(format, Inv)}]";
    }
}
