using BenchmarkDotNet.Attributes;
using Statehouse.Raft;

namespace Statehouse.Raft.Bench;

/// <summary>
/// Commits 100 B entries through a 3-member group in memory, proposed in batches: entries per second on one core is
/// 1 / (mean time per operation); BenchmarkDotNet's allocation column is per entry (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
public class CoreBenchmarks
{
    private const int EntriesPerInvoke = 65_536;
    private InMemoryGroup _group = null!;
    private ReadOnlyMemory<byte>[] _batch = [];

    /// <summary>Entries per proposal (and so per Append message, up to the byte limit).</summary>
    [Params(1, 64, 512)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _group = new InMemoryGroup(3, maxInflightAppends: 256);
        var payload = new byte[100];
        _batch = Enumerable.Repeat<ReadOnlyMemory<byte>>(payload, BatchSize).ToArray();
    }

    [Benchmark(OperationsPerInvoke = EntriesPerInvoke)]
    public long CommitEntries()
    {
        var leader = _group.Leader;
        var target = _group.AppliedEntries + EntriesPerInvoke;
        for (var proposed = 0; proposed < EntriesPerInvoke; proposed += BatchSize)
        {
            var result = leader.Propose(_batch);
            if (!result.Accepted)
            {
                throw new InvalidOperationException($"Proposal refused: {result.Status}");
            }

            // One host loop turn per batch, as a real host would do between proposals.
            _group.Pump();
        }

        if (_group.AppliedEntries < target)
        {
            throw new InvalidOperationException("Not every entry was applied.");
        }

        _group.Compact();
        return _group.AppliedEntries;
    }
}
