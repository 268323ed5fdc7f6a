namespace Statehouse.Storage.Groups;

/// <summary>One Raft entry of one group as the shared log stores it: the core's entry kind is an opaque byte here.</summary>
/// <param name="Index">Position in the group's log (≥ 1).</param>
/// <param name="Term">Term that created it (≥ 1).</param>
/// <param name="Kind">The core's entry kind.</param>
/// <param name="Data">The entry's bytes.</param>
public readonly record struct GroupEntry(ulong Index, ulong Term, byte Kind, ReadOnlyMemory<byte> Data);

/// <summary>One change to one group's durable state, written in a batch of the shared log (docs/internals/host.md §1).</summary>
/// <param name="Group">The group it changes (≥ 1).</param>
public abstract record GroupOperation(ulong Group);

/// <summary>Stores entries, replacing the group's stored entries from the first one's index on.</summary>
public sealed record AppendEntriesOperation(ulong Group, IReadOnlyList<GroupEntry> Entries) : GroupOperation(Group);

/// <summary>The group's hard state: current term, vote (0: none) and commit index.</summary>
public sealed record HardStateOperation(ulong Group, ulong Term, ulong Vote, ulong Commit) : GroupOperation(Group);

/// <summary>
/// Entries up to <see cref="Index"/> are covered by a durable snapshot (taken, or installed from the leader). When the
/// log holds no entry (<see cref="Index"/>, <see cref="Term"/>), the whole log is replaced by the snapshot (§5.1).
/// </summary>
public sealed record CompactOperation(ulong Group, ulong Index, ulong Term) : GroupOperation(Group);

/// <summary>
/// The group is created on this node: which member of it the node is, and its founding membership (the replication
/// layer's encoding, opaque here). Valid only for a group the log does not hold (never, or since its removal).
/// </summary>
public sealed record CreateGroupOperation(ulong Group, ulong Member, ReadOnlyMemory<byte> Bootstrap) : GroupOperation(Group);

/// <summary>The group left this node: everything stored for it is forgotten.</summary>
public sealed record RemoveGroupOperation(ulong Group) : GroupOperation(Group);
