namespace Statehouse.Storage.Groups;

/// <summary>
/// A batch of the shared log breaks a group's rules (entries that do not continue its log, a term that decreases,
/// a committed entry replaced, a compaction that moves back): written by a bug, or damage the checksums missed.
/// </summary>
/// <remarks>
/// Thrown before the batch changes anything. At open it is corruption (the log refuses to start); on a write it is
/// the caller's bug and the batch is not written.
/// </remarks>
public sealed class GroupLogViolationException(long lsn, ulong group, string reason)
    : IOException($"Shared log batch {lsn}, group {group}: {reason}")
{
    /// <summary>The log sequence number of the batch.</summary>
    public long Lsn { get; } = lsn;

    /// <summary>The group whose rule the batch breaks.</summary>
    public ulong Group { get; } = group;

    /// <summary>The rule broken, in words.</summary>
    public string Reason { get; } = reason;
}
