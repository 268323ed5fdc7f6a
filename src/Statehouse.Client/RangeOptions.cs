namespace Statehouse.Client;

/// <summary>Options of a range read (<see cref="StateClient.RangeAsync"/>, <see cref="StateClient.ScanAsync"/>).</summary>
public sealed record RangeOptions
{
    /// <summary>The keyspace; <see langword="null"/> means <see cref="StateClientOptions.DefaultKeyspace"/>.</summary>
    public string? Keyspace { get; init; }

    /// <summary>The most keys per page; 0 means the server's default.</summary>
    public long Limit { get; init; }

    /// <summary>Return keys and metadata without values.</summary>
    public bool KeysOnly { get; init; }

    /// <summary>Return only <see cref="RangePage.Count"/>.</summary>
    public bool CountOnly { get; init; }

    /// <summary>Read as of this revision; 0 means the latest. A continuation pins the revision of its first page.</summary>
    public long Revision { get; init; }

    /// <summary>The continuation token of the previous page, or <see langword="null"/> for the first page.</summary>
    public string? Continuation { get; init; }

    /// <summary>How fresh the read must be; <see langword="null"/> means <see cref="StateClientOptions.DefaultReadConsistency"/>.</summary>
    public ReadConsistency? Consistency { get; init; }

    /// <summary>
    /// For <see cref="ReadConsistency.Bounded"/> reads: how far behind the leader the serving replica may be
    /// (whole milliseconds, rounded up). <see langword="null"/> means the server's default bound.
    /// </summary>
    public TimeSpan? MaxStaleness { get; init; }

    /// <summary>
    /// The lowest revision the serving replica must have reached (a session token). 0 means automatic: a
    /// <see cref="ReadConsistency.Session"/> read then sends <see cref="StateClient.SessionRevision"/>.
    /// </summary>
    public long MinRevision { get; init; }
}
