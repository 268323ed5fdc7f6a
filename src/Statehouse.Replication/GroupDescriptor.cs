using Statehouse.Raft;

namespace Statehouse.Replication;

/// <summary>
/// What a node records when a group is created on it, before the group's first write: which group, which member of it
/// this node is, and the membership to start from while the log holds neither a snapshot nor a configuration entry.
/// </summary>
/// <param name="Group">The group.</param>
/// <param name="Member">This node's member id in the group: fresh each time the node joins the group (a removed
/// member's id is never reused, so a message of an earlier membership cannot be taken for a current one).</param>
/// <param name="Bootstrap">The founding membership, or <see cref="Configuration.Empty"/> for a member that joins later
/// (it learns the membership from the leader's configuration entries or snapshot).</param>
public sealed record GroupDescriptor(GroupId Group, NodeId Member, Configuration Bootstrap);
