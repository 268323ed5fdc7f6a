namespace Statehouse.Storage;

/// <summary>How the recovery scan of one segment ended.</summary>
internal enum ScanOutcome
{
    /// <summary>Every frame verified; the file ends there or continues with zeros only.</summary>
    Clean,

    /// <summary>The segment header was never completely written.</summary>
    TornHeader,

    /// <summary>The segment header is damaged or of an unknown version.</summary>
    CorruptHeader,

    /// <summary>The last segment ends with the remains of an unacknowledged append: cut it off.</summary>
    TornTail,

    /// <summary>Damage that a torn append cannot explain.</summary>
    Corrupt,
}
