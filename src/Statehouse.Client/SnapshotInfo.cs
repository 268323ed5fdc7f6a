namespace Statehouse.Client;

/// <summary>A snapshot the node wrote.</summary>
/// <param name="Index">The log index it covers.</param>
/// <param name="Revision">The store revision it covers.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Path">Where the node wrote it (on the node's file system).</param>
/// <param name="Duration">How long it took.</param>
public sealed record SnapshotInfo(ulong Index, long Revision, long Bytes, string Path, TimeSpan Duration);
