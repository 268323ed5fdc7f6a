namespace Statehouse.Client;

/// <summary>Options of a watch.</summary>
public sealed record WatchOptions
{
    /// <summary>The keyspace; <see langword="null"/> means <see cref="StateClientOptions.DefaultKeyspace"/>.</summary>
    public string? Keyspace { get; init; }

    /// <summary>
    /// Deliver changes from this revision on (inclusive). 0 means "changes after now": the client reads the current
    /// revision first so that a reconnect can resume without a gap. A revision beyond the current one is waited for
    /// (nothing before it is delivered); a negative one is refused with <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    public long FromRevision { get; init; }

    /// <summary>Include each key's previous value in <see cref="WatchEvent.Previous"/>.</summary>
    public bool PrevKv { get; init; }

    /// <summary>How often the server sends progress notifications; <see langword="null"/> means the server's default.</summary>
    public TimeSpan? ProgressInterval { get; init; }

    /// <summary>
    /// Called with R whenever the watch is known complete through revision R — every change up to R has been yielded —
    /// including when the server reports progress on an idle range. A cache invalidated by the watch is fresh through R.
    /// </summary>
    public Action<long>? OnProgress { get; init; }
}
