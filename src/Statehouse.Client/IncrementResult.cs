namespace Statehouse.Client;

/// <summary>The answer to an increment.</summary>
/// <param name="Value">The counter's new value.</param>
/// <param name="Revision">The revision of the write.</param>
public sealed record IncrementResult(long Value, long Revision);
