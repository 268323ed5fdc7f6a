using Statehouse.Raft;

namespace Statehouse.Replication;

/// <summary>
/// What a node records when a group is created on it, before the group's first write: which group, and the membership
/// to start from while the log holds neither a snapshot nor a configuration entry. A node is the same member (its
/// <see cref="NodeId"/>) in every group it hosts.
/// </summary>
/// <param name="Group">The group.</param>
/// <param name="Bootstrap">The founding membership, or <see cref="Configuration.Empty"/> for a member that joins later
/// (it learns the membership from the leader's configuration entries or snapshot).</param>
public sealed record GroupDescriptor(GroupId Group, Configuration Bootstrap);
