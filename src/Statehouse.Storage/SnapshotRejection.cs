namespace Statehouse.Storage;

/// <summary>A snapshot that failed verification and was set aside (renamed to <c>*.corrupt</c>).</summary>
/// <param name="Path">The original path of the snapshot.</param>
/// <param name="Reason">What failed.</param>
public sealed record SnapshotRejection(string Path, string Reason);
