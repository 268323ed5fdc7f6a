namespace Statehouse.Storage;

/// <summary>Thrown when an internal invariant of the storage layer is broken (a bug, not bad input).</summary>
internal sealed class InvariantViolationException(string message) : Exception(message);
