namespace Statehouse.Client;

/// <summary>Options of a put.</summary>
public sealed record PutOptions
{
    /// <summary>The keyspace; <see langword="null"/> means <see cref="StateClientOptions.DefaultKeyspace"/>.</summary>
    public string? Keyspace { get; init; }

    /// <summary>A condition the write requires (create-only, compare-and-set, ...).</summary>
    public Precondition Precondition { get; init; }

    /// <summary>Attach the key to this lease; 0 means none.</summary>
    public long Lease { get; init; }

    /// <summary>Shorthand for a lease of the key's own with this time to live (whole seconds, at least 1 s).</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Return the previous value in <see cref="PutResult.Previous"/>.</summary>
    public bool ReturnPrevious { get; init; }
}
