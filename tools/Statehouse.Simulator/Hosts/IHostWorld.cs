using Statehouse.Raft;
using Statehouse.Simulator.Checks;
using Statehouse.Simulator.Running;
using Statehouse.Simulator.Workloads;

namespace Statehouse.Simulator.Hosts;

/// <summary>What a model host needs from the simulated world around it.</summary>
internal interface IHostWorld
{
    /// <summary>Simulated time, µs.</summary>
    long NowUs { get; }

    RunConfig Config { get; }

    SafetyMonitor Monitor { get; }

    /// <summary>Where to write a line per event and per Ready, when debugging one seed; null normally.</summary>
    TextWriter? Log { get; }

    /// <summary>Sends a Raft message from node <paramref name="fromNode"/> to the node of its addressee.</summary>
    void SendRaft(int fromNode, Message message);

    /// <summary>Sends an answer to a client.</summary>
    void Reply(ClientReply reply);

    /// <summary>The node that hosts <paramref name="member"/> of some group (−1 for nobody).</summary>
    int NodeOf(NodeId member);

    /// <summary>Starts an fsync of <paramref name="host"/>'s disk; <see cref="ModelHost.OnSyncCompleted"/> runs when it is done.</summary>
    void StartSync(ModelHost host, long syncId);

    /// <summary>A member has just taken office (faults armed for new leaders fire on it).</summary>
    void OnTookOffice(ISimMember host);

    /// <summary>A leader's commit index has just moved (faults armed for that moment fire on it).</summary>
    void OnLeaderCommitted(ISimMember host);

    /// <summary>Starts the fsync of batch <paramref name="syncId"/> of node <paramref name="node"/>'s replica host.</summary>
    void StartHostSync(int node, long syncId);

    /// <summary>Starts writing a snapshot on node <paramref name="node"/> (it completes after a disk latency).</summary>
    void StartHostSnapshot(int node);

    /// <summary>A planted bug reports a batch durable now, before its fsync.</summary>
    void ScheduleEarlyReport(int node, long batchId);

    /// <summary>Adds to a run statistic (diagnostics for the report; never a check).</summary>
    void Count(string stat, long by = 1);

    /// <summary>A host applied an entry (the operator watches for its membership changes).</summary>
    void OnApplied(ISimMember host, Entry entry);
}
