namespace Statehouse.Client;

/// <summary>One page of a range read.</summary>
/// <param name="Entries">The entries of this page, in key order (empty for count-only reads).</param>
/// <param name="Count">How many keys match the whole range.</param>
/// <param name="More">Whether more pages follow.</param>
/// <param name="Continuation">The token for the next page (<see cref="RangeOptions.Continuation"/>), or <see langword="null"/>.</param>
/// <param name="Revision">The store revision the page reflects.</param>
public sealed record RangePage(IReadOnlyList<KeyValueEntry> Entries, long Count, bool More, string? Continuation, long Revision)
{
    /// <summary>The id of the node that served the page (empty when the server did not say).</summary>
    public string ServedBy { get; init; } = string.Empty;
}
