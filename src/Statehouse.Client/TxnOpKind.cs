namespace Statehouse.Client;

/// <summary>The kind of a transaction operation and of its result.</summary>
public enum TxnOpKind
{
    /// <summary>A put.</summary>
    Put = 0,

    /// <summary>A delete.</summary>
    Delete = 1,

    /// <summary>A point read.</summary>
    Get = 2,

    /// <summary>An increment.</summary>
    Increment = 3,

    /// <summary>A range read.</summary>
    Range = 4,
}
