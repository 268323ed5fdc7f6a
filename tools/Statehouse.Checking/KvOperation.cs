namespace Statehouse.Checking;

/// <summary>What a recorded operation did.</summary>
public enum OpKind
{
    /// <summary>Read the key's value.</summary>
    Read,

    /// <summary>Set the key's value.</summary>
    Write,

    /// <summary>Set the value only if it currently equals <see cref="KvOperation.Expected"/>.</summary>
    CompareAndSet,

    /// <summary>Append to the key's current value (a missing key counts as empty).</summary>
    Append,
}

/// <summary>
/// One client operation on one key as a history records it: when it was invoked and when its answer came back
/// (monotonic ticks), what it asked and what it got. An operation whose outcome is unknown (a timeout, no answer) has
/// <see cref="Unknown"/> set: it may have taken effect at any point after its invoke, or not at all.
/// </summary>
/// <param name="Client">The client (process) that ran it; a client runs one operation at a time.</param>
/// <param name="Key">The key (histories of different keys are checked independently).</param>
/// <param name="Kind">What it did.</param>
/// <param name="Value">The value written, appended or swapped in.</param>
/// <param name="Expected">For compare-and-set: the value it required.</param>
/// <param name="Invoked">Invocation time.</param>
/// <param name="Returned">Completion time; ignored when <see cref="Unknown"/>.</param>
/// <param name="Unknown">Outcome unknown.</param>
/// <param name="ReadValue">For a completed read: the value it returned (null = absent).</param>
/// <param name="Succeeded">For a completed compare-and-set: whether it swapped.</param>
public sealed record KvOperation(
    int Client,
    string Key,
    OpKind Kind,
    string? Value,
    string? Expected,
    long Invoked,
    long Returned,
    bool Unknown,
    string? ReadValue = null,
    bool Succeeded = true);
