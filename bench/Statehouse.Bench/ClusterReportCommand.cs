using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Statehouse.Bench;

/// <summary>
/// Markdown for bench/cluster.sh: 3-member Statehouse vs 3-member etcd. Load runs (medians [min–max] over rounds,
/// per-round ratios) and leader failover (median and max over rounds).
/// </summary>
internal static class ClusterReportCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] Systems = ["statehouse", "etcd"];

    public static int Run(Args a)
    {
        var input = a.RequiredStr("in");
        a.RejectUnknown();
        var rows = File.ReadAllLines(input).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Console.Write(Render(rows));
        return 0;
    }

    public static string Render(List<JsonObject> rows)
    {
        var sb = new StringBuilder();
        var load = rows.Where(r => Str(r, "kind") == "load").ToList();
        var cases = load.Select(r => (Case: Case(r), Clients: (int)Num(r, "clients"))).Distinct().ToList();

        sb.AppendLine("| workload | clients | system | via | read | ops/s | p50 ms | p99 ms | p999 ms | CPU µs/op, member served | CPU µs/op, all 3 members | client CPU µs/op | errors | idle % before |");
        sb.AppendLine("| --- | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var ratios = new List<(string Case, int Clients, List<double> Tput, List<double> P50, List<double> P99, List<double> Cpu)>();
        foreach (var (name, clients) in cases)
        {
            var ofCase = load.Where(r => Case(r) == name && (int)Num(r, "clients") == clients).ToList();
            foreach (var via in ofCase.Select(r => Via(r)).Distinct().OrderBy(v => v == "leader" ? 0 : 1))
            {
                foreach (var target in Systems)
                {
                    var runs = ofCase.Where(r => Via(r) == via && Str(r, "target") == target).ToList();
                    if (runs.Count == 0)
                    {
                        continue;
                    }

                    var read = Str(runs[0], "read");
                    sb.AppendLine(Inv, $"| {Workload(name)} | {clients} | {target} | {via} | {(read.Length == 0 ? "-" : read)} | {Spread(runs, "ops_per_s", "F0")} | {Spread(runs, "p50_ms", "F2")} | {Spread(runs, "p99_ms", "F2")} | {Spread(runs, "p999_ms", "F1")} | {Spread(runs, "server_cpu_us_per_op", "F0")} | {Spread(runs, "cluster_cpu_us_per_op", "F0")} | {Spread(runs, "client_cpu_us_per_op", "F0")} | {runs.Sum(r => Num(r, "errors")):F0} | {Spread(runs, "idle_pct_before", "F0")} |");
                }
            }

            var perRound = ofCase.Where(r => Via(r) == "leader")
                .GroupBy(r => (int)Num(r, "round"))
                .Select(g => (Sh: g.FirstOrDefault(r => Str(r, "target") == "statehouse"), Etcd: g.FirstOrDefault(r => Str(r, "target") == "etcd")))
                .Where(p => p.Sh is not null && p.Etcd is not null)
                .ToList();
            if (perRound.Count > 0)
            {
                ratios.Add((name, clients,
                    perRound.Select(p => Num(p.Sh!, "ops_per_s") / Num(p.Etcd!, "ops_per_s")).ToList(),
                    perRound.Select(p => Num(p.Sh!, "p50_ms") / Num(p.Etcd!, "p50_ms")).ToList(),
                    perRound.Select(p => Num(p.Sh!, "p99_ms") / Num(p.Etcd!, "p99_ms")).ToList(),
                    perRound.Select(p => Num(p.Sh!, "cluster_cpu_us_per_op") / Num(p.Etcd!, "cluster_cpu_us_per_op")).ToList()));
            }
        }

        foreach (var r in load.Where(r => Num(r, "errors") > 0))
        {
            sb.AppendLine(Inv, $"\nerrors in {Str(r, "target")} {Case(r)} c={Num(r, "clients"):F0} round {Num(r, "round"):F0}: {Str(r, "error_summary")}");
        }

        if (ratios.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Ratios Statehouse / etcd (both through the leader), per round then median [min–max] (throughput: higher is better; p50, p99, CPU: lower is better):");
            sb.AppendLine();
            sb.AppendLine("| workload | clients | throughput | p50 | p99 | CPU per op, all 3 members |");
            sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
            foreach (var r in ratios)
            {
                sb.AppendLine(Inv, $"| {Workload(r.Case)} | {r.Clients} | {ReportCommand.Spread(r.Tput, "F2")} | {ReportCommand.Spread(r.P50, "F2")} | {ReportCommand.Spread(r.P99, "F2")} | {ReportCommand.Spread(r.Cpu, "F2")} |");
            }
        }

        var failover = rows.Where(r => Str(r, "kind") == "failover").ToList();
        if (failover.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Leader failover: `kill -9` of the leader while one client writes (short deadline, rotating over the members on a failure); failover = kill → first successful write sent after the kill; then the killed member is restarted on its data folder and must catch up before the next round:");
            sb.AppendLine();
            sb.AppendLine("| system | rounds ok | failover median ms | failover max ms | failover min ms | failed attempts until then (median) | restart → caught up median [max] ms | longest write while it rejoins, median [max] ms | per round (ms) |");
            sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
            foreach (var target in Systems)
            {
                var runs = failover.Where(r => Str(r, "target") == target).OrderBy(r => Num(r, "round")).ToList();
                if (runs.Count == 0)
                {
                    continue;
                }

                var times = runs.Select(r => Num(r, "failover_ms")).Where(double.IsFinite).ToList();
                var ok = runs.Count(r => double.IsFinite(Num(r, "failover_ms")) && double.IsFinite(Num(r, "restart_to_caught_up_ms")));
                var catchUp = runs.Select(r => Num(r, "restart_to_caught_up_ms")).Where(double.IsFinite).ToList();
                var rejoin = runs.Select(r => Num(r, "rejoin_max_write_ms")).Where(double.IsFinite).ToList();
                sb.AppendLine(Inv, $"| {target} | {ok}/{runs.Count} | {F(ReportCommand.Median(times), "F0")} | {F(times.DefaultIfEmpty(double.NaN).Max(), "F0")} | {F(times.DefaultIfEmpty(double.NaN).Min(), "F0")} | {F(ReportCommand.Median(runs.Select(r => Num(r, "errors_until_first_write")).ToList()), "F0")} | {F(ReportCommand.Median(catchUp), "F0")} [{F(catchUp.DefaultIfEmpty(double.NaN).Max(), "F0")}] | {F(ReportCommand.Median(rejoin), "F0")} [{F(rejoin.DefaultIfEmpty(double.NaN).Max(), "F0")}] | {string.Join(", ", runs.Select(r => F(Num(r, "failover_ms"), "F0")))} |");
            }

            foreach (var r in failover.Where(r => r["failed"] is not null))
            {
                sb.AppendLine(Inv, $"\n{Str(r, "target")} failover round {Num(r, "round"):F0} failed: {Str(r, "failed")}");
            }
        }

        return sb.ToString();
    }

    private static string Case(JsonObject r) => Str(r, "case") is { Length: > 0 } c ? c : Str(r, "workload");

    private static string Via(JsonObject r) => Str(r, "via") is { Length: > 0 } v ? v : "leader";

    private static string Workload(string name) => name switch
    {
        "put" => "put (durable)",
        "get" => "get, linearizable",
        "get-local" => "get, local (Statehouse session / etcd serializable)",
        _ => name,
    };

    private static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, Inv) : "-";

    private static string Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : string.Empty;

    private static double Num(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<double>(out var d) ? d : double.NaN;

    private static string Spread(List<JsonObject> runs, string field, string format) => ReportCommand.Spread(runs.Select(r => Num(r, field)).ToList(), format);
}
