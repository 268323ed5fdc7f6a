using System.Diagnostics;
using BenchmarkDotNet.Running;
using Statehouse.Raft.Bench;

// `--quick [batch]`: a Stopwatch loop for iterating on the core (prints entries/s and bytes allocated per entry);
// anything else goes to BenchmarkDotNet (e.g. `--filter *` for the full run, see bench/README.md "Raft core").
if (args.Length > 0 && args[0] == "--quick")
{
    var batch = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 64;
    var bench = new CoreBenchmarks { BatchSize = batch };
    bench.Setup();
    for (var round = 0; round < 6; round++)
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var started = Stopwatch.GetTimestamp();
        bench.CommitEntries();
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Console.WriteLine($"batch {batch}: {65_536 / seconds:N0} entries/s, {bytes / 65_536.0:N0} B allocated per entry");
    }

    return;
}

BenchmarkSwitcher.FromAssembly(typeof(CoreBenchmarks).Assembly).Run(args);
