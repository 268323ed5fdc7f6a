namespace Statehouse.Chaos.Checking;

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
public sealed record LinearizabilityResult(Verdict Verdict, string? Key, IReadOnlyList<KvOperation> FailingOperations, TimeSpan Elapsed, long StatesExplored);
