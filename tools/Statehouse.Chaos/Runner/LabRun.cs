using System.Globalization;
using System.Text;
using System.Text.Json;
using Statehouse.Checking;
using Statehouse.Chaos.Workloads;

namespace Statehouse.Chaos.Runner;

/// <summary>
/// One lab run: a fresh cluster, the chosen workloads' clients side by side, the seeded nemesis, a progress line while
/// it goes; then every fault healed, every node back, the replicas compared, and each workload's history checked.
/// Exit code 0 = every guarantee held, 1 = an anomaly, 2 = a check could not decide.
/// </summary>
internal static class LabRun
{
    public static readonly string[] WorkloadNames = ["register", "counter", "set", "bank", "watch", "lease-lock"];

    public static IWorkload Create(string name) => name switch
    {
        "register" => new RegisterWorkload(),
        "counter" => new CounterWorkload(),
        "set" => new SetWorkload(),
        "bank" => new BankWorkload(),
        "watch" => new WatchWorkload(),
        "lease-lock" => new LeaseLockWorkload(),
        _ => throw new ArgumentException($"Unknown workload '{name}'."),
    };

    public static async Task<int> RunAsync(RunSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.WorkFolder);
        var partitions = settings.Faults.Any(f => f is "partition" or "split" or "bridge");

        // History is kept for the whole run: the watch and lease-lock checks replay it from the start.
        string[] history = ["--history-revisions", "100000000", "--history-ms", "0"];

        // Disk damage wants snapshots and sealed segments to damage: take snapshots often (the default waits for 100,000
        // entries) and keep segments small (the default is 64 MiB).
        string[] extra = settings.Faults.Contains("disk") ? [.. history, "--snapshot-entries", "5000", "--wal-segment-bytes", "1048576"] : history;
        await using var nodes = new NodeProcesses(settings.Statehouse, settings.Nodes, settings.BasePort, separateUsers: partitions, settings.WorkFolder, extra);
        for (var i = 0; i < settings.Nodes; i++)
        {
            nodes.Start(i);
        }

        await nodes.WaitHealthyAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var lab = new LabContext(nodes, settings);
        var workloads = settings.Workloads.Select(Create).ToList();
        foreach (var workload in workloads)
        {
            await workload.SetupAsync(lab, cancellationToken).ConfigureAwait(false);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(settings.Duration);
        var nemesis = new Nemesis(nodes, settings, () => lab.NowNs / 1_000_000);
        var clients = workloads.SelectMany(w => Enumerable.Range(0, w.ClientCount(settings.Clients)).Select(c => Task.Run(() => w.RunClientAsync(lab, c, stop.Token), CancellationToken.None))).ToList();
        var schedule = Task.Run(() => nemesis.RunAsync(stop.Token), CancellationToken.None);
        await ShowProgressAsync(lab, workloads, nemesis, stop.Token).ConfigureAwait(false);
        await schedule.ConfigureAwait(false);
        await Task.WhenAll(clients).ConfigureAwait(false);
        var ranMs = lab.NowNs / 1_000_000;

        // Heal and bring every node back before judging; the replicas must converge.
        output.WriteLine("run over: healing every fault, restarting stopped nodes, checking…");
        nodes.Heal();
        for (var i = 0; i < settings.Nodes; i++)
        {
            nodes.Signal(i, "CONT");
            if (!nodes.IsRunning(i))
            {
                nodes.Start(i);
            }
        }

        await nodes.WaitHealthyAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);

        // A replaced node may still be catching up to join: give it time, and compare only the members.
        var members = await nodes.WaitWholeAsync(TimeSpan.FromSeconds(300)).ConfigureAwait(false);
        var joining = Enumerable.Range(0, settings.Nodes).Except(members).Select(NodeProcesses.Id).ToList();
        if (joining.Count > 0)
        {
            output.WriteLine($"not members after 300 s (a join still catching up): {string.Join(", ", joining)}; replicas compared among the members");
        }

        var results = new List<WorkloadResult>();
        foreach (var workload in workloads)
        {
            try
            {
                results.Add(await workload.CheckAsync(lab, CancellationToken.None).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or TaskCanceledException or IOException or System.Text.Json.JsonException)
            {
                // A check that cannot read what it needs decides nothing (exit 2), and the other checks still run.
                results.Add(WorkloadResult.From(workload, [new Statehouse.Checking.Anomaly("unknown", $"the check could not run: {ex.Message}")], "not checked", Path.Combine(settings.WorkFolder, $"history-{workload.Name}.jsonl"), decided: false));
            }
        }

        var (converged, hashes) = await nodes.WaitConvergedAsync(TimeSpan.FromSeconds(60), members).ConfigureAwait(false);
        var report = Report(settings, results, nemesis.Faults, converged, hashes, ranMs);
        output.Write(report);
        await File.WriteAllTextAsync(Path.Combine(settings.WorkFolder, "report.txt"), report, CancellationToken.None).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(settings.WorkFolder, "faults.json"), JsonSerializer.Serialize(nemesis.Faults, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }), CancellationToken.None).ConfigureAwait(false);
        if (!converged || results.Any(r => r.Decided && r.Anomalies.Count > 0))
        {
            return 1;
        }

        return results.All(r => r.Decided) ? 0 : 2;
    }

    /// <summary>A bar on a terminal (redrawn in place), a line every 10 s in a log.</summary>
    private static async Task ShowProgressAsync(LabContext lab, IReadOnlyList<IWorkload> workloads, Nemesis nemesis, CancellationToken stop)
    {
        var terminal = !Console.IsOutputRedirected;
        var every = TimeSpan.FromMilliseconds(terminal ? 500 : 10_000);
        var total = lab.Settings.Duration.TotalSeconds;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            var elapsed = Math.Min(total, lab.NowNs / 1e9);
            const int width = 24;
            var filled = (int)Math.Round(width * elapsed / total);
            var ok = workloads.Sum(w => w.Counts.Ok);
            var fail = workloads.Sum(w => w.Counts.Fail);
            var unknown = workloads.Sum(w => w.Counts.Unknown);
            var line = string.Create(CultureInfo.InvariantCulture,
                $"[{new string('#', filled)}{new string('.', width - filled)}] {elapsed,5:F0}/{total:F0} s  ops {ok + fail + unknown:N0} (ok {ok:N0}, fail {fail:N0}, unknown {unknown:N0})  faults {nemesis.Faults.Count}  now: {nemesis.Current}");
            if (terminal)
            {
                Console.Write("\r" + line.PadRight(Math.Max(line.Length, Console.BufferWidth > 0 ? Math.Min(Console.BufferWidth - 1, 160) : 0)));
            }
            else
            {
                Console.WriteLine(line);
            }
        }

        if (terminal)
        {
            Console.WriteLine();
        }
    }

    internal static string Report(RunSettings settings, IReadOnlyList<WorkloadResult> results, IReadOnlyList<FaultRecord> faults, bool converged, string hashes, long ranMs)
    {
        var text = new StringBuilder();
        var anomalies = results.Sum(r => r.Anomalies.Count) + (converged ? 0 : 1);
        text.AppendLine(CultureInfo.InvariantCulture, $"seed {settings.Seed} · {settings.Nodes} nodes · {ranMs / 1000.0:F0} s · faults every {settings.FaultInterval.TotalMilliseconds:F0} ms from {string.Join(",", settings.Faults)} · replay: --seed {settings.Seed}");
        text.AppendLine(CultureInfo.InvariantCulture, $"faults injected: {(faults.Count == 0 ? "none" : Nemesis.Summarize(faults))}");
        // Disk damage always says what it did and how the node took it: listed as outcomes, not as incomplete faults.
        var damaged = faults.Where(f => f.Kind == "disk").ToList();
        if (damaged.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  disk damage: {string.Join("; ", damaged.Select(f => $"{f.Target} at {f.StartMs} ms: {f.Note}"))}");
        }

        var refused = faults.Where(f => f.Note is not null && f.Kind != "disk").ToList();
        if (refused.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  not completed: {string.Join("; ", refused.Select(f => $"{f.Kind} {f.Target} at {f.StartMs} ms: {f.Note}"))}");
        }

        var rows = new List<string[]> { new[] { "workload", "ops", "ok", "fail", "unknown", "anomalies", "verdict" } };
        foreach (var r in results)
        {
            rows.Add([r.Workload, N(r.Operations), N(r.Ok), N(r.Fail), N(r.Unknown), N(r.Anomalies.Count), !r.Decided ? "UNKNOWN" : r.Anomalies.Count == 0 ? "ok" : "ANOMALY"]);
        }

        rows.Add(["replicas", "", "", "", "", converged ? "0" : "1", converged ? "ok (same state hash)" : "DIVERGED"]);
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var (row, index) in rows.Select((r, i) => (r, i)))
        {
            text.AppendLine(string.Join("  ", row.Select((cell, c) => c is 0 or 6 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
            if (index == 0)
            {
                text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
            }
        }

        foreach (var r in results)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{r.Workload}: {r.Summary} — history {r.HistoryPath}");
            foreach (var anomaly in r.Anomalies)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  ANOMALY {anomaly.Kind}: {anomaly.Detail}");
            }

            if (r.FailingHistory.Count > 0)
            {
                text.AppendLine("  smallest failing sub-history:");
                foreach (var line in r.FailingHistory.Take(40))
                {
                    text.AppendLine("    " + line);
                }
            }
        }

        if (!converged)
        {
            text.AppendLine("  ANOMALY replica-divergence: " + hashes);
        }

        text.AppendLine(anomalies == 0 && results.All(r => r.Decided) ? "result: no anomaly" : $"result: {anomalies} anomal{(anomalies == 1 ? "y" : "ies")} (seed {settings.Seed})");
        return text.ToString();
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
