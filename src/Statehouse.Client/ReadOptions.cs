namespace Statehouse.Client;

/// <summary>Options of a point read (<see cref="StateClient.GetAsync(string, ReadOptions?, CancellationToken)"/>, GetManyAsync).</summary>
public sealed record ReadOptions
{
    /// <summary>The keyspace; <see langword="null"/> means <see cref="StateClientOptions.DefaultKeyspace"/>.</summary>
    public string? Keyspace { get; init; }

    /// <summary>Read as of this revision; 0 means the latest.</summary>
    public long Revision { get; init; }

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
