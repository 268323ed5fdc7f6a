using System.CommandLine;
using System.Globalization;
using Statehouse.Simulator;
using Statehouse.Simulator.Faults;
using Statehouse.Simulator.Running;

// statehouse-simulator [--seeds N] [--first-seed S] [--nodes K] [--groups M] [--engine model|host] [--plant NAME|list] [--mix MIX] [--seconds T]
//                      [--jobs J] [--shrink-seconds X] [--keep-faults i,j,k] [--verbose]
// statehouse-simulator caught --plant NAME|all [--starts 20] [--budget 300] [--stride 1000] [--nodes K] [--groups M] [--jobs J]
// Exit codes: 0 every seed passed; 1 a seed failed (seed, shortest schedule and invariant printed); 64 usage.
var seedsOption = new Option<int>("--seeds") { Description = "How many consecutive seeds to run.", DefaultValueFactory = _ => 100 };
var firstSeedOption = new Option<long>("--first-seed") { Description = "The first seed.", DefaultValueFactory = _ => 1 };
var nodesOption = new Option<int>("--nodes") { Description = "Nodes per run (1-9).", DefaultValueFactory = _ => 3 };
var groupsOption = new Option<int>("--groups") { Description = "Replica groups per run (1-16).", DefaultValueFactory = _ => 2 };
var plantOption = new Option<string?>("--plant") { Description = "Plant a bug in every core (NAME), or list the planted bugs (list)." };
var mixOption = new Option<string?>("--mix") { Description = "Force a fault mix: Crashes, Partitions, Leases, Snapshots, Churn, Everything, Divergence (default: each seed picks)." };
var secondsOption = new Option<double?>("--seconds") { Description = "Simulated seconds of faults per run (default 4; a quiet phase follows, until every group has converged)." };
var jobsOption = new Option<int>("--jobs") { Description = "Seeds run in parallel (each run is single-threaded).", DefaultValueFactory = _ => 1 };
var shrinkOption = new Option<int>("--shrink-seconds") { Description = "Wall-clock budget for shrinking a failing schedule (0: do not shrink).", DefaultValueFactory = _ => 120 };
var keepOption = new Option<string?>("--keep-faults") { Description = "Replay with only these faults of the seed's schedule (comma-separated indexes as a shrunk schedule prints them, or none)." };
var verboseOption = new Option<bool>("--verbose") { Description = "Print each seed's result and trace hash." };
var engineOption = new Option<string?>("--engine") { Description = "What runs the members: model (a model host per member, default) or host (the real replica host per node)." };
var logOption = new Option<string?>("--log") { Description = "Write every event and Ready of the run to this file (one seed)." };
var root = new RootCommand("Statehouse deterministic simulator: the real Raft core on simulated time, network and disks; one seed replays a run.")
{
    seedsOption, firstSeedOption, nodesOption, groupsOption, plantOption, mixOption, secondsOption, jobsOption, shrinkOption, keepOption, verboseOption, logOption, engineOption,
};
root.SetAction(parse =>
{
    var plantName = parse.GetValue(plantOption);
    if (string.Equals(plantName, "list", StringComparison.OrdinalIgnoreCase))
    {
        foreach (var bug in PlantHunt.All)
        {
            Console.WriteLine(bug);
        }

        foreach (var bug in PlantHunt.HostAll)
        {
            Console.WriteLine($"{bug} (host engine)");
        }

        return 0;
    }

    if (Cli.Settings(parse.GetValue(nodesOption), parse.GetValue(groupsOption), plantName, parse.GetValue(mixOption), parse.GetValue(secondsOption), parse.GetValue(engineOption)) is not { } settings)
    {
        return 64;
    }

    var seeds = parse.GetValue(seedsOption);
    var first = parse.GetValue(firstSeedOption);
    if (seeds < 1 || parse.GetValue(jobsOption) is < 1 or > 64)
    {
        Console.Error.WriteLine("error: --seeds must be at least 1 and --jobs 1..64.");
        return 64;
    }

    HashSet<int>? keep = null;
    if (parse.GetValue(keepOption) is { } keepText)
    {
        try
        {
            keep = string.Equals(keepText, "none", StringComparison.OrdinalIgnoreCase)
                ? []
                : keepText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToHashSet();
        }
        catch (FormatException)
        {
            Console.Error.WriteLine("error: --keep-faults takes comma-separated fault indexes.");
            return 64;
        }

        if (seeds != 1)
        {
            Console.Error.WriteLine("error: --keep-faults replays one seed (--seeds 1).");
            return 64;
        }
    }

    if (parse.GetValue(logOption) is { } logPath)
    {
        using var log = new StreamWriter(logPath);
        var result = settings.Run(first, keep, log);
        Console.WriteLine($"seed {first}: {(result.Passed ? "ok" : result.Violation!.ToString())}; log in {logPath}");
        return result.Passed ? 0 : 1;
    }

    return Cli.RunSeeds(settings, first, seeds, parse.GetValue(jobsOption), parse.GetValue(shrinkOption), keep, parse.GetValue(verboseOption), Console.Out);
});

var startsOption = new Option<int>("--starts") { Description = "Starting seeds (1, 1+stride, 1+2×stride, …).", DefaultValueFactory = _ => 20 };
var budgetOption = new Option<int>("--budget") { Description = "Seeds at most from each start.", DefaultValueFactory = _ => 300 };
var strideOption = new Option<long>("--stride") { Description = "Distance between starting seeds.", DefaultValueFactory = _ => 1000 };
var caught = new Command("caught", "Seeds until each planted bug is caught, from several starting seeds (median and max).")
{
    plantOption, startsOption, budgetOption, strideOption, nodesOption, groupsOption, mixOption, secondsOption, jobsOption, engineOption,
};
caught.SetAction(parse =>
{
    var plantName = parse.GetValue(plantOption) ?? "all";
    var engine = parse.GetValue(engineOption);
    var hostEngine = string.Equals(engine, "host", StringComparison.OrdinalIgnoreCase);
    IReadOnlyList<string> bugs = string.Equals(plantName, "all", StringComparison.OrdinalIgnoreCase)
        ? [.. PlantHunt.All.Select(b => b.ToString()), .. hostEngine ? PlantHunt.HostAll.Select(b => b.ToString()) : []]
        : [plantName];
    var failed = false;
    foreach (var bug in bugs)
    {
        if (Cli.Settings(parse.GetValue(nodesOption), parse.GetValue(groupsOption), bug, parse.GetValue(mixOption), parse.GetValue(secondsOption), engine) is not { } settings)
        {
            return 64;
        }

        failed |= !Cli.Caught(settings, parse.GetValue(startsOption), parse.GetValue(budgetOption), parse.GetValue(strideOption), parse.GetValue(jobsOption), Console.Out);
    }

    return failed ? 1 : 0;
});
root.Subcommands.Add(caught);
return root.Parse(args).Invoke();
