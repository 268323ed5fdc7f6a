namespace Statehouse.Storage;

/// <summary>
/// A WAL segment is damaged before its tail, or a non-last segment is damaged anywhere: records that may be
/// committed cannot be read, so <see cref="WriteAheadLog.Open"/> refuses to start instead of dropping them.
/// </summary>
public sealed class WalCorruptedException(string segmentPath, long offset, string reason)
    : StorageCorruptedException(segmentPath, offset, reason)
{
    /// <summary>The damaged segment file.</summary>
    public string SegmentPath => Path;
}
