using System.CommandLine;
using Statehouse.Chaos.Checking;
using Statehouse.Chaos.Formats;

// statehouse-chaos check --format jepsen-register|edn-kv FILE [--timeout-s N]
// Exit codes: 0 linearizable, 1 not linearizable, 2 unknown (search budget exhausted), 64 usage.
var format = new Option<string>("--format") { Description = "jepsen-register or edn-kv.", Required = true };
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
    var (history, initial) = parse.GetValue(format) switch
    {
        "jepsen-register" => (HistoryFormats.ReadJepsenRegister(lines), (string?)null),
        "edn-kv" => (HistoryFormats.ReadEdnKv(lines), string.Empty),
        var other => throw new ArgumentException($"--format must be jepsen-register or edn-kv, got '{other}'."),
    };
    var result = LinearizabilityChecker.Check(history, initial, TimeSpan.FromSeconds(parse.GetValue(timeout)));
    var verdict = result.Verdict switch
    {
        Verdict.Linearizable => "linearizable",
        Verdict.NotLinearizable => "not-linearizable",
        _ => "unknown",
    };
    Console.WriteLine($"{verdict}\t{history.Count} operations\t{result.Elapsed.TotalMilliseconds:F0} ms\t{result.StatesExplored} steps" +
        (result.Key is null ? string.Empty : $"\tkey {result.Key} ({result.FailingOperations.Count} operations)"));
    return result.Verdict switch { Verdict.Linearizable => 0, Verdict.NotLinearizable => 1, _ => 2 };
});
var root = new RootCommand("Statehouse fault lab: record histories under faults and check them.") { check };
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
