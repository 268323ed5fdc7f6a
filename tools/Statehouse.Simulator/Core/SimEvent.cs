using Statehouse.Raft;
using Statehouse.Simulator.Workloads;

namespace Statehouse.Simulator.Core;

/// <summary>Something that happens at one instant of simulated time (see <see cref="EventQueue"/>).</summary>
internal abstract record SimEvent;

/// <summary>A Raft message arrives at a node (unless the link is cut or the node is down by then).</summary>
internal sealed record MessageArrives(Message Message, int FromNode, int ToNode) : SimEvent;

/// <summary>A client's request arrives at a node.</summary>
internal sealed record RequestArrives(ClientRequest Request, int ToNode) : SimEvent;

/// <summary>A node's answer arrives at its client.</summary>
internal sealed record ReplyArrives(ClientReply Reply) : SimEvent;

/// <summary>A node's clock ticks (every tick interval of its own clock); stale after a crash (other incarnation).</summary>
internal sealed record NodeTicks(int Node, long Incarnation) : SimEvent;

/// <summary>An fsync a host asked for completes (or fails, if the disk was told to fail).</summary>
internal sealed record SyncCompletes(int Node, GroupId Group, NodeId Member, long Incarnation, long SyncId) : SimEvent;

/// <summary>A snapshot a node's replica host asked for is written (host engine).</summary>
internal sealed record HostSnapshotWritten(int Node, long Incarnation) : SimEvent;

/// <summary>A planted bug: the node's store reports a batch durable before its fsync (host engine).</summary>
internal sealed record HostEarlyReport(int Node, long Incarnation, long BatchId) : SimEvent;

/// <summary>A fault of the schedule starts.</summary>
internal sealed record FaultStarts(int FaultIndex) : SimEvent;

/// <summary>A fault of the schedule ends (heal, restart, disk back to normal).</summary>
/// <param name="FaultIndex">The fault.</param>
/// <param name="Shot">Which firing of a fault that fires more than once (0 otherwise).</param>
internal sealed record FaultEnds(int FaultIndex, int Shot = 0) : SimEvent;

/// <summary>A fault armed for the next new leader hits the node of the member that took office.</summary>
/// <param name="FaultIndex">The fault.</param>
/// <param name="Node">The new leader's node (−1: the fault finds its target itself).</param>
/// <param name="Shot">Which firing it is (an armed isolation fires on every new leader while armed).</param>
internal sealed record ArmedFaultFires(int FaultIndex, int Node, int Shot = 0) : SimEvent;

/// <summary>A node that crashed comes back.</summary>
internal sealed record NodeRestarts(int Node, long Incarnation) : SimEvent;

/// <summary>A client is ready for its next operation.</summary>
internal sealed record ClientWakes(int Client) : SimEvent;

/// <summary>A client gives up on an operation (its outcome becomes unknown unless it was a read).</summary>
internal sealed record ClientTimesOut(int Client, long OpId) : SimEvent;

/// <summary>The operator removes the host of a member whose removal committed.</summary>
internal sealed record MemberRetires(GroupId Group, NodeId Member) : SimEvent;

/// <summary>In the quiet phase: has every group converged? (The run ends when it has.)</summary>
internal sealed record ConvergenceCheck : SimEvent;

/// <summary>End of the faulty phase: heal everything, restart every node, stop the workloads.</summary>
internal sealed record FaultPhaseEnds : SimEvent;
