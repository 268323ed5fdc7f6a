namespace Statehouse.Client;

/// <summary>A condition a single-key write requires; when it does not hold the write fails with
/// <see cref="StatehouseErrorCode.PreconditionFailed"/> and changes nothing.</summary>
public readonly record struct Precondition
{
    private Precondition(PreconditionKind kind, long value)
    {
        Kind = kind;
        Value = value;
    }

    /// <summary>The kind of condition.</summary>
    public PreconditionKind Kind { get; }

    /// <summary>The version or mod revision compared against, for <see cref="PreconditionKind.IfVersion"/> and <see cref="PreconditionKind.IfModRevision"/>.</summary>
    public long Value { get; }

    /// <summary>No condition.</summary>
    public static Precondition None => default;

    /// <summary>The key must not exist (create-only).</summary>
    public static Precondition IfAbsent => new(PreconditionKind.IfAbsent, 0);

    /// <summary>The key must exist (update-only).</summary>
    public static Precondition IfExists => new(PreconditionKind.IfExists, 0);

    /// <summary>The key's version must equal <paramref name="version"/> (0 means absent).</summary>
    public static Precondition IfVersion(long version)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        return new(PreconditionKind.IfVersion, version);
    }

    /// <summary>The key's mod revision must equal <paramref name="modRevision"/>: compare-and-set on the ETag.</summary>
    public static Precondition IfModRevision(long modRevision)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(modRevision);
        return new(PreconditionKind.IfModRevision, modRevision);
    }
}
