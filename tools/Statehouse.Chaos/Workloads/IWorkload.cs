using Statehouse.Checking;
using Statehouse.Chaos.Runner;

namespace Statehouse.Chaos.Workloads;

/// <summary>
/// One workload of the lab: prepares its keys, runs its clients until the run ends (recording every operation), and
/// after the nemesis has healed the cluster checks what the clients saw against the store's final state.
/// </summary>
internal interface IWorkload
{
    string Name { get; }

    /// <summary>Operations completed so far, by outcome.</summary>
    OpCounts Counts { get; }

    /// <summary>How many clients to run for <paramref name="requested"/> (a workload may add helpers, e.g. watchers).</summary>
    int ClientCount(int requested) => requested;

    Task SetupAsync(LabContext lab, CancellationToken cancellationToken);

    /// <summary>Runs client <paramref name="client"/> until <paramref name="stop"/> fires.</summary>
    Task RunClientAsync(LabContext lab, int client, CancellationToken stop);

    /// <summary>Checks the run once every node is back and healed.</summary>
    Task<WorkloadResult> CheckAsync(LabContext lab, CancellationToken cancellationToken);
}

/// <summary>
/// The verdict of one workload: its operation counts, the anomalies found (empty = the guarantee held), whether the
/// check could decide at all, and for each anomaly the smallest part of the history that still shows it.
/// </summary>
internal sealed record WorkloadResult(
    string Workload,
    long Operations,
    long Ok,
    long Fail,
    long Unknown,
    IReadOnlyList<Anomaly> Anomalies,
    bool Decided,
    string Summary,
    IReadOnlyList<string> FailingHistory,
    string HistoryPath)
{
    public static WorkloadResult From(IWorkload workload, IReadOnlyList<Anomaly> anomalies, string summary, string historyPath, IReadOnlyList<string>? failingHistory = null, bool decided = true) =>
        new(workload.Name, workload.Counts.Total, workload.Counts.Ok, workload.Counts.Fail, workload.Counts.Unknown, anomalies, decided, summary, failingHistory ?? [], historyPath);
}
