namespace Statehouse.Storage;

/// <summary>Verdict on the 16-byte header of a WAL segment.</summary>
internal enum SegmentHeaderState
{
    /// <summary>Magic, version and checksum are right.</summary>
    Valid,

    /// <summary>A prefix of the right header followed by zeros (or a short file): creation did not finish.</summary>
    Torn,

    /// <summary>Anything else: damaged or written by an unknown version.</summary>
    Corrupt,
}
