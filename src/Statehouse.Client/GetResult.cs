using System.Diagnostics.CodeAnalysis;

namespace Statehouse.Client;

/// <summary>The answer to a point read.</summary>
/// <param name="Entry">The entry, or <see langword="null"/> when the key does not exist.</param>
/// <param name="Revision">The store revision the answer reflects.</param>
public sealed record GetResult(KeyValueEntry? Entry, long Revision)
{
    /// <summary>Whether the key exists.</summary>
    [MemberNotNullWhen(true, nameof(Entry))]
    public bool Found => Entry is not null;

    /// <summary>The id of the node that served the read (empty when the server did not say).</summary>
    public string ServedBy { get; init; } = string.Empty;
}
