namespace Statehouse.Client;

/// <summary>Options of a delete.</summary>
public sealed record DeleteOptions
{
    /// <summary>The keyspace; <see langword="null"/> means <see cref="StateClientOptions.DefaultKeyspace"/>.</summary>
    public string? Keyspace { get; init; }

    /// <summary>A condition the delete requires (meaningful for a single key).</summary>
    public Precondition Precondition { get; init; }

    /// <summary>Return the deleted entries in <see cref="DeleteResult.Previous"/>.</summary>
    public bool ReturnPrevious { get; init; }
}
