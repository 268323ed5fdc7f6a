namespace Statehouse.Client;

/// <summary>The answer to a transaction or an atomic batch.</summary>
/// <param name="Succeeded">Whether every compare held, so the Then branch ran (always true for a batch).</param>
/// <param name="Results">The results of the branch that ran, in order.</param>
/// <param name="Revision">The store revision after the transaction.</param>
public sealed record TxnResult(bool Succeeded, IReadOnlyList<TxnOpResult> Results, long Revision);
