namespace Statehouse.Client;

/// <summary>The answer to a put.</summary>
/// <param name="Revision">The revision of the write: the key's new mod revision.</param>
/// <param name="Previous">The previous entry when requested and present.</param>
/// <param name="Lease">The lease the key is attached to (set when a TTL created one).</param>
public sealed record PutResult(long Revision, KeyValueEntry? Previous, long Lease);
