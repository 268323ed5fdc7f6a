using System.CommandLine;
using Statehouse.Chaos.Checking;
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
    return result.Verdict switch { Verdict.Linearizable => 0, Verdict.NotLinearizable => 1, _ => 2 };
});
var root = new RootCommand("Statehouse fault lab: record histories under faults and check them.") { check };
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
