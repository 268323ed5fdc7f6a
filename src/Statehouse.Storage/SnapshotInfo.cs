namespace Statehouse.Storage;

/// <summary>A committed snapshot file.</summary>
/// <param name="Index">Last log index the snapshot covers.</param>
/// <param name="Term">Term of the record at <paramref name="Index"/>.</param>
/// <param name="Path">Full path of the <c>.snap</c> file.</param>
/// <param name="BodyLengthBytes">Length of the opaque body.</param>
public sealed record SnapshotInfo(long Index, long Term, string Path, long BodyLengthBytes);
