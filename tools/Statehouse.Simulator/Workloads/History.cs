using Statehouse.Checking;

namespace Statehouse.Simulator.Workloads;

/// <summary>What the clients saw, for the end-of-run checks: register operations and bank reads, per group.</summary>
internal sealed class History
{
    /// <summary>Register operations (keys are "g{group}/k{n}"), completed and of unknown outcome.</summary>
    public List<KvOperation> Registers { get; } = [];

    /// <summary>Bank reads by group: all balances, and when the read returned (µs).</summary>
    public Dictionary<ulong, List<(IReadOnlyDictionary<string, long> Balances, long At)>> BankReads { get; } = [];

    public long Completed { get; set; }

    public long Unknown { get; set; }

    public long Failed { get; set; }

    public long Redirects { get; set; }

    public void AddBankRead(ulong group, IReadOnlyDictionary<string, long> balances, long atUs)
    {
        if (!BankReads.TryGetValue(group, out var reads))
        {
            reads = [];
            BankReads[group] = reads;
        }

        reads.Add((balances, atUs));
    }
}
