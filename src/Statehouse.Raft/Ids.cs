namespace Statehouse.Raft;

/// <summary>A member of a replica group. <see cref="None"/> (0) means "nobody": no vote cast, no leader known.</summary>
public readonly record struct NodeId(ulong Value) : IComparable<NodeId>
{
    /// <summary>Nobody.</summary>
    public static readonly NodeId None;

    /// <summary>True for <see cref="None"/>.</summary>
    public bool IsNone => Value == 0;

    /// <inheritdoc />
    public int CompareTo(NodeId other) => Value.CompareTo(other.Value);

    /// <inheritdoc />
    public override string ToString() => IsNone ? "none" : $"n{Value}";
}

/// <summary>A replica group: one Raft log and one state machine; a node hosts many.</summary>
public readonly record struct GroupId(ulong Value)
{
    /// <inheritdoc />
    public override string ToString() => $"g{Value}";
}

/// <summary>A Raft term (thesis §3.3): a logical clock that only grows; 0 before any election.</summary>
public readonly record struct Term(ulong Value) : IComparable<Term>
{
    /// <summary>The term before any election.</summary>
    public static readonly Term Zero;

    /// <summary>The term after this one.</summary>
    public Term Next => new(checked(Value + 1));

    /// <inheritdoc />
    public int CompareTo(Term other) => Value.CompareTo(other.Value);

    public static bool operator <(Term a, Term b) => a.Value < b.Value;

    public static bool operator >(Term a, Term b) => a.Value > b.Value;

    public static bool operator <=(Term a, Term b) => a.Value <= b.Value;

    public static bool operator >=(Term a, Term b) => a.Value >= b.Value;

    /// <inheritdoc />
    public override string ToString() => $"t{Value}";
}

/// <summary>A position in a group's log; the first entry has index 1, index 0 is "before the log".</summary>
public readonly record struct LogIndex(ulong Value) : IComparable<LogIndex>
{
    /// <summary>Before the first entry.</summary>
    public static readonly LogIndex Zero;

    /// <summary>The index after this one.</summary>
    public LogIndex Next => new(checked(Value + 1));

    /// <summary>The index before this one (this must not be <see cref="Zero"/>).</summary>
    public LogIndex Previous => new(checked(Value - 1));

    /// <inheritdoc />
    public int CompareTo(LogIndex other) => Value.CompareTo(other.Value);

    public static LogIndex Min(LogIndex a, LogIndex b) => a.Value <= b.Value ? a : b;

    public static LogIndex Max(LogIndex a, LogIndex b) => a.Value >= b.Value ? a : b;

    public static LogIndex operator +(LogIndex a, ulong count) => new(checked(a.Value + count));

    /// <summary>The number of entries from <paramref name="b"/> (exclusive) to <paramref name="a"/> (inclusive).</summary>
    public static ulong operator -(LogIndex a, LogIndex b) => checked(a.Value - b.Value);

    public static bool operator <(LogIndex a, LogIndex b) => a.Value < b.Value;

    public static bool operator >(LogIndex a, LogIndex b) => a.Value > b.Value;

    public static bool operator <=(LogIndex a, LogIndex b) => a.Value <= b.Value;

    public static bool operator >=(LogIndex a, LogIndex b) => a.Value >= b.Value;

    /// <inheritdoc />
    public override string ToString() => $"i{Value}";
}
