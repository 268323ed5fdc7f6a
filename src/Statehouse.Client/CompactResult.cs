namespace Statehouse.Client;

/// <summary>The answer to a compaction.</summary>
/// <param name="CompactRevision">History is now compacted up to (excluding) this revision.</param>
/// <param name="Revision">The store revision the answer reflects.</param>
public sealed record CompactResult(long CompactRevision, long Revision);
