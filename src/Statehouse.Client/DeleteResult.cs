namespace Statehouse.Client;

/// <summary>The answer to a delete.</summary>
/// <param name="Deleted">How many keys were deleted.</param>
/// <param name="Previous">The deleted entries, when requested.</param>
/// <param name="Revision">The store revision after the delete.</param>
public sealed record DeleteResult(long Deleted, IReadOnlyList<KeyValueEntry> Previous, long Revision);
