namespace Statehouse.Client;

/// <summary>The answer to a multi-key read.</summary>
/// <param name="Entries">The keys that exist, in request order.</param>
/// <param name="Revision">The store revision the answer reflects.</param>
public sealed record MultiGetResult(IReadOnlyList<KeyValueEntry> Entries, long Revision)
{
    /// <summary>The id of the node that served the read (empty when the server did not say).</summary>
    public string ServedBy { get; init; } = string.Empty;
}
