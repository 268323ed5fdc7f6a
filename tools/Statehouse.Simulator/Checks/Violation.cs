using System.Globalization;

namespace Statehouse.Simulator.Checks;

/// <summary>A broken guarantee: which one (<see cref="Invariant"/>, stable, used to match a shrunk run to the original), what was seen, and when.</summary>
/// <param name="Invariant">A short stable name, e.g. "election-safety".</param>
/// <param name="Detail">What happened, for a reader.</param>
/// <param name="AtUs">Simulated time it was seen.</param>
internal sealed record Violation(string Invariant, string Detail, long AtUs)
{
    /// <summary>One line for a report.</summary>
    public override string ToString() => $"{Invariant} at {(AtUs / 1e6).ToString("F6", CultureInfo.InvariantCulture)} s: {Detail}";
}

/// <summary>Thrown where a violation is seen, to stop the run at once (nothing after it is interesting).</summary>
internal sealed class ViolationException(Violation violation) : Exception(violation.ToString())
{
    public Violation Violation { get; } = violation;
}
