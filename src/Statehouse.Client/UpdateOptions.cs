namespace Statehouse.Client;

/// <summary>Options of <see cref="StateClient.UpdateAsync{T}"/>.</summary>
public sealed record UpdateOptions
{
    /// <summary>The default for <see cref="MaxAttempts"/>.</summary>
    public const int DefaultMaxAttempts = 32;

    /// <summary>The keyspace; <see langword="null"/> means <see cref="StateClientOptions.DefaultKeyspace"/>.</summary>
    public string? Keyspace { get; init; }

    /// <summary>How many read-modify-write rounds to try before giving up with <see cref="StatehouseErrorCode.PreconditionFailed"/>. Default 32.</summary>
    public int MaxAttempts { get; init; } = DefaultMaxAttempts;

    /// <summary>Attach the written key to this lease; 0 means none.</summary>
    public long Lease { get; init; }

    /// <summary>Give the written key a lease of its own with this time to live.</summary>
    public TimeSpan? Ttl { get; init; }
}
