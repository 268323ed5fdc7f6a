namespace Statehouse.Client;

/// <summary>The kind of a <see cref="Precondition"/>.</summary>
public enum PreconditionKind
{
    /// <summary>No precondition: the write always applies.</summary>
    None = 0,

    /// <summary>The key must not exist.</summary>
    IfAbsent = 1,

    /// <summary>The key must exist.</summary>
    IfExists = 2,

    /// <summary>The key's version must equal <see cref="Precondition.Value"/>.</summary>
    IfVersion = 3,

    /// <summary>The key's mod revision (its ETag) must equal <see cref="Precondition.Value"/>.</summary>
    IfModRevision = 4,
}
