namespace Statehouse.Checking;

/// <summary>The verdict of a linearizability check.</summary>
public enum Verdict
{
    /// <summary>Some order of the operations, consistent with real time, explains every answer.</summary>
    Linearizable,

    /// <summary>No such order exists: an anomaly.</summary>
    NotLinearizable,

    /// <summary>The search did not finish within its budget: nothing is claimed (never reported as linearizable).</summary>
    Unknown,
}

/// <summary>A verdict, and for a violation the key and the operations of the failing part of the history.</summary>
public sealed record LinearizabilityResult(Verdict Verdict, string? Key, IReadOnlyList<KvOperation> FailingOperations, TimeSpan Elapsed, long StatesExplored)
{
    /// <summary>For a violation: the longest order the search could build, and the operation it could not place after it.</summary>
    public DeepestPoint? Deepest { get; init; }

    /// <summary>When the violation needs no search (a read of a value nobody wrote by then): the operations that show it.</summary>
    public IReadOnlyList<KvOperation>? Witness { get; init; }
}

/// <summary>
/// Where a failed search got furthest: the operations it had ordered (a linearization of that much), the value they
/// left, and the operation that had completed by then but could not be placed — the spot a reader should look at.
/// </summary>
public sealed record DeepestPoint(IReadOnlyList<KvOperation> Linearized, string? State, KvOperation Stuck);
