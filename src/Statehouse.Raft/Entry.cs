namespace Statehouse.Raft;

/// <summary>What a log entry carries.</summary>
public enum EntryKind : byte
{
    /// <summary>A command for the host's state machine (opaque bytes).</summary>
    Command = 1,

    /// <summary>A membership change (<see cref="ConfigChange"/>, encoded by the core).</summary>
    ConfigChange = 2,

    /// <summary>The empty entry a new leader appends to commit its term (thesis §6.4); nothing to apply.</summary>
    Empty = 3,
}

/// <summary>One log entry. <see cref="Data"/> is never mutated once the entry exists.</summary>
public readonly record struct Entry(LogIndex Index, Term Term, EntryKind Kind, ReadOnlyMemory<byte> Data)
{
    /// <summary>Bytes counted per entry beyond its data, for the byte limits (index, term, kind, length).</summary>
    public const int OverheadBytes = 24;

    /// <summary>The size counted against message and batch limits.</summary>
    public long SizeBytes => Data.Length + OverheadBytes;

    /// <inheritdoc />
    public override string ToString() => $"{Index}/{Term} {Kind} {Data.Length}B";

    /// <summary>
    /// Adds <paramref name="entry"/> to a batch limited to <paramref name="maxBytes"/> that always holds at least one
    /// entry (the rule of <see cref="IRaftLogStorage.GetEntries"/>); <paramref name="bytes"/> counts the batch so far.
    /// </summary>
    /// <returns>False when the batch is full: the entry did not fit, or the batch reached the limit with it.</returns>
    public static bool AddWithinLimit(List<Entry> into, Entry entry, long maxBytes, ref long bytes)
    {
        ArgumentNullException.ThrowIfNull(into);
        if (into.Count > 0 && bytes + entry.SizeBytes > maxBytes)
        {
            return false;
        }

        into.Add(entry);
        bytes += entry.SizeBytes;
        return bytes < maxBytes;
    }
}

/// <summary>What a node persists besides entries (thesis §3.8, Figure 3.1 "persistent state").</summary>
/// <param name="Term">The latest term the node has seen.</param>
/// <param name="VotedFor">Whom it voted for in <paramref name="Term"/> (<see cref="NodeId.None"/> if nobody).</param>
/// <param name="Commit">The highest index it knows committed (advisory: lets a restart apply without waiting).</param>
public readonly record struct HardState(Term Term, NodeId VotedFor, LogIndex Commit)
{
    /// <inheritdoc />
    public override string ToString() => $"term {Term.Value} vote {VotedFor} commit {Commit.Value}";
}
