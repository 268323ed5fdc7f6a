using Statehouse.Checking;
using Statehouse.Raft;
using Statehouse.Simulator.Checks;

namespace Statehouse.Simulator.Running;

internal sealed partial class Simulation
{
    /// <summary>Time the linearizability check of one run may take before its verdict is "unknown" (not a pass).</summary>
    public static readonly TimeSpan LinearizabilityBudget = TimeSpan.FromSeconds(20);

    /// <summary>
    /// At the end: the run converged once faults stopped (liveness); the register history is linearizable; every bank
    /// read sums to the total.
    /// </summary>
    private Violation? FinalChecks()
    {
        if (!_converged)
        {
            return new Violation("liveness", $"{NotConverged()}, {(NowUs - Config.FaultPhaseUs) / 1000} ms after the faults stopped", NowUs);
        }

        _stats["quiet ms until converged"] = (NowUs - Config.FaultPhaseUs) / 1000;
        var linearizable = LinearizabilityChecker.Check(History.Registers, initialValue: null, LinearizabilityBudget);
        _stats["register operations"] = History.Registers.Count;
        if (linearizable.Verdict == Verdict.NotLinearizable)
        {
            var detail = $"register {linearizable.Key} ({linearizable.FailingOperations.Count} operations)";
            if (linearizable.Deepest is { } deepest)
            {
                detail += $": after {deepest.Linearized.Count} operations in order (value {deepest.State ?? "absent"}), none can explain {HistoryShrinker.Describe(deepest.Stuck)}";
            }
            else if (linearizable.Witness is { } witness)
            {
                detail += $": {string.Join("; ", witness.Select(HistoryShrinker.Describe))}";
            }

            return new Violation("linearizability", detail, NowUs);
        }

        if (linearizable.Verdict == Verdict.Unknown)
        {
            Count("linearizability undecided");
        }

        foreach (var (group, reads) in History.BankReads)
        {
            _stats["bank reads"] = _stats.GetValueOrDefault("bank reads") + reads.Count;
            var anomalies = BankChecker.Check(Config.Accounts * Config.InitialBalance, reads);
            if (anomalies.Count > 0)
            {
                return new Violation(anomalies[0].Kind, $"g{group}: {anomalies[0].Detail}", NowUs);
            }
        }

        return null;
    }

    /// <summary>
    /// Why the cluster has not converged, or null when it has: every group has a leader that committed an entry of its
    /// term, and every member of its configuration runs and has applied exactly what it committed.
    /// </summary>
    private string? NotConverged()
    {
        for (var g = 0; g < Config.Groups; g++)
        {
            if (LeaderOf(g) is not { Core: { } core } leader)
            {
                return $"g{g + 1} has no leader";
            }

            if (!leader.TryGetStoredTerm(core.CommitIndex, out var term) || term != core.Term)
            {
                return $"{leader.Member}, leader of {leader.Group} in {core.Term}, has not committed an entry of its term (commit {core.CommitIndex})";
            }

            foreach (var member in core.Configuration.Members)
            {
                if (!_hosts.TryGetValue((leader.Group.Value, member.Value), out var host) || host.Core is null)
                {
                    return $"{member}, a member of {leader.Group} ({core.Configuration}), has no running host";
                }

                if (host.Applied != core.CommitIndex || host.Core.CommitIndex != core.CommitIndex)
                {
                    var status = host.Core.Status();
                    var progress = core.Status().Peers.TryGetValue(member, out var peer) ? peer.ToString() : "no progress";
                    return $"{member} of {leader.Group} applied {host.Applied} of the {core.CommitIndex} its leader {leader.Member} committed " +
                        $"(member: {status.Role} {status.Term} leader {status.Leader} commit {status.Commit} log [{status.FirstIndex}, {status.LastIndex}]; leader {core.Term} log [{core.Status().FirstIndex}, {core.LastIndex}], its progress: {progress})";
                }
            }
        }

        return null;
    }
}
