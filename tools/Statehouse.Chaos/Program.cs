using System.CommandLine;
using Statehouse.Checking;
using Statehouse.Chaos.Formats;

// statehouse-chaos check [--format statehouse|jepsen-register|edn-kv] FILE [--timeout-s N]
// Exit codes: 0 linearizable, 1 not linearizable, 2 unknown (search budget exhausted), 64 usage.
var format = new Option<string>("--format") { Description = "statehouse (JSON lines), jepsen-register or edn-kv.", DefaultValueFactory = _ => "statehouse" };
var timeout = new Option<int>("--timeout-s") { Description = "Search budget; beyond it the verdict is unknown (exit 2).", DefaultValueFactory = _ => 60 };
var file = new Argument<FileInfo>("FILE") { Description = "The history file." };
var check = new Command("check", "Check a recorded history for linearizability.") { format, timeout, file };
check.SetAction(parse =>
{
    var path = parse.GetValue(file)!;
    if (!path.Exists)
    {
        Console.Error.WriteLine($"error: {path.FullName} does not exist.");
        return 64;
    }

    var lines = File.ReadLines(path.FullName);
    List<KvOperation> history;
    string? initial;
    try
    {
        (history, initial) = parse.GetValue(format) switch
        {
            "jepsen-register" => (HistoryFormats.ReadJepsenRegister(lines), (string?)null),
            "edn-kv" => (HistoryFormats.ReadEdnKv(lines), string.Empty),
            "statehouse" => (JsonLinesHistory.Read(lines), (string?)null),
            var other => throw new FormatException($"--format must be statehouse, jepsen-register or edn-kv, got '{other}'."),
        };
    }
    catch (FormatException ex)
    {
        Console.Error.WriteLine($"error: {ex.Message}");
        return 64;
    }

    var result = LinearizabilityChecker.Check(history, initial, TimeSpan.FromSeconds(parse.GetValue(timeout)));
    var verdict = result.Verdict switch
    {
        Verdict.Linearizable => "linearizable",
        Verdict.NotLinearizable => "not-linearizable",
        _ => "unknown",
    };
    Console.WriteLine($"{verdict}\t{history.Count} operations\t{result.Elapsed.TotalMilliseconds:F0} ms\t{result.StatesExplored} steps" +
        (result.Key is null ? string.Empty : $"\tkey {result.Key} ({result.FailingOperations.Count} operations)"));
    if (result.Verdict == Verdict.NotLinearizable)
    {
        if (result.Deepest is { } deepest)
        {
            Console.WriteLine($"the search ordered {deepest.Linearized.Count} operations at most (last: {string.Join("; ", deepest.Linearized.TakeLast(5).Select(HistoryShrinker.Describe))}), leaving value {deepest.State ?? "(absent)"}; then it could not place: {HistoryShrinker.Describe(deepest.Stuck)}");
        }

        var minimal = result.Witness ?? HistoryShrinker.Shrink(result.FailingOperations, initial, TimeSpan.FromSeconds(60));
        Console.WriteLine($"smallest failing sub-history ({minimal.Count} operations):");
        foreach (var op in minimal)
        {
            Console.WriteLine("  " + HistoryShrinker.Describe(op));
        }
    }

    return result.Verdict switch { Verdict.Linearizable => 0, Verdict.NotLinearizable => 1, _ => 2 };
});
var nodesOption = new Option<int>("--nodes") { Description = "Cluster size (1, 3 or 5).", DefaultValueFactory = _ => 3 };
var workloadOption = new Option<string>("--workload") { Description = "Comma-separated workloads run side by side: register, counter, set, bank, watch, lease-lock, or all.", DefaultValueFactory = _ => "register" };
var clientsOption = new Option<int>("--clients") { Description = "Concurrent clients per workload (watch adds two watchers).", DefaultValueFactory = _ => 4 };
var keysOption = new Option<int>("--keys") { Description = "Registers (keys) the register clients share.", DefaultValueFactory = _ => 4 };
var secondsOption = new Option<int>("--seconds") { Description = "How long the workloads run.", DefaultValueFactory = _ => 30 };
var seedOption = new Option<int>("--seed") { Description = "Seed of the nemesis schedule and the clients (replay a run with it).", DefaultValueFactory = _ => Environment.TickCount & 0xFFFF };
var faultsOption = new Option<string>("--faults") { Description = "Comma-separated: kill, pause, partition, split, bridge, membership, disk, or all (partition kinds need root, iptables, setpriv and 3+ nodes).", DefaultValueFactory = _ => "kill,pause" };
var intervalOption = new Option<int>("--fault-interval-ms") { Description = "Time between faults (500 or more).", DefaultValueFactory = _ => 4000 };
var statehouseOption = new Option<string?>("--statehouse") { Description = "Path of statehouse.dll or the statehouse apphost (default: this repository's Release build)." };
var workOption = new Option<string?>("--work") { Description = "Folder for data, logs, histories and the report (default: a new temp folder)." };
var basePortOption = new Option<int>("--base-port") { Description = "Node i listens on BASE+10i (HTTP), +1 (gRPC), +2 (Raft).", DefaultValueFactory = _ => 26000 };
var run = new Command("run", "Run workloads against a fresh cluster under a seeded nemesis, then check what the clients saw.")
{
    nodesOption, workloadOption, clientsOption, keysOption, secondsOption, seedOption, faultsOption, intervalOption, statehouseOption, workOption, basePortOption,
};
run.SetAction(async (parse, cancellationToken) =>
{
    var nodes = parse.GetValue(nodesOption);
    var faults = Split(parse.GetValue(faultsOption)!, Statehouse.Chaos.Runner.Nemesis.Kinds);
    var workloads = Split(parse.GetValue(workloadOption)!, Statehouse.Chaos.Runner.LabRun.WorkloadNames);
    var problems = new List<string>();
    if (nodes is not (1 or 3 or 5))
    {
        problems.Add("--nodes must be 1, 3 or 5");
    }

    if (parse.GetValue(clientsOption) is < 1 or > 64 || parse.GetValue(keysOption) is < 1 or > 1000 || parse.GetValue(secondsOption) is < 1 or > 24 * 3600)
    {
        problems.Add("--clients 1..64, --keys 1..1000, --seconds 1..86400");
    }

    problems.AddRange(faults.Where(f => !Statehouse.Chaos.Runner.Nemesis.Kinds.Contains(f)).Select(f => $"unknown fault '{f}' (kill, pause, partition, split, bridge, membership, disk, all)"));
    problems.AddRange(workloads.Where(w => !Statehouse.Chaos.Runner.LabRun.WorkloadNames.Contains(w)).Select(w => $"unknown workload '{w}' (register, counter, set, bank, watch, lease-lock, all)"));
    if (nodes == 1 && faults.Any(f => f is "partition" or "split" or "bridge" or "membership" or "disk"))
    {
        problems.Add("partitions, membership changes and disk damage need 3 or 5 nodes");
    }

    if (workloads.Count == 0 || faults.Count == 0)
    {
        problems.Add("--workload and --faults need at least one entry");
    }

    if (problems.Count > 0)
    {
        Console.Error.WriteLine("error: " + string.Join("; ", problems) + ".");
        return 64;
    }

    var statehouse = parse.GetValue(statehouseOption) ?? Statehouse.Chaos.Runner.StatehouseBinary.Default();
    if (!File.Exists(statehouse))
    {
        Console.Error.WriteLine($"error: {statehouse} not found; build src/Statehouse.Cli in Release or pass --statehouse.");
        return 64;
    }

    var seed = parse.GetValue(seedOption);
    var work = parse.GetValue(workOption) ?? Path.Combine(Path.GetTempPath(), $"statehouse-chaos-{seed}-{Guid.NewGuid().ToString("N")[..6]}");
    var settings = new Statehouse.Chaos.Runner.RunSettings(statehouse, nodes, parse.GetValue(clientsOption), parse.GetValue(keysOption),
        TimeSpan.FromSeconds(parse.GetValue(secondsOption)), seed, TimeSpan.FromMilliseconds(Math.Max(500, parse.GetValue(intervalOption))), faults, work, parse.GetValue(basePortOption), workloads);
    Console.WriteLine($"workloads {string.Join(",", workloads)}: {nodes} nodes, {settings.Clients} clients each, {settings.Duration.TotalSeconds:F0} s, faults {string.Join(",", faults)} every {settings.FaultInterval.TotalMilliseconds:F0} ms, seed {seed}, work {work}");
    return await Statehouse.Chaos.Runner.LabRun.RunAsync(settings, Console.Out, cancellationToken).ConfigureAwait(false);
});

static List<string> Split(string list, string[] all)
{
    var items = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
    return items.Contains("all") ? [.. all] : items.Distinct().ToList();
}

var root = new RootCommand("Statehouse fault lab: record histories under faults and check them.") { check, run };
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
