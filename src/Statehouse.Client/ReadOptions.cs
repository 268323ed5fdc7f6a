namespace Statehouse.Client;

/// <summary>Options of a point read (<see cref="StateClient.GetAsync(string, ReadOptions?, CancellationToken)"/>, GetManyAsync).</summary>
public sealed record ReadOptions
{
    /// <summary>The keyspace; <see langword="null"/> means <see cref="StateClientOptions.DefaultKeyspace"/>.</summary>
    public string? Keyspace { get; init; }

    /// <summary>Read as of this revision; 0 means the latest.</summary>
    public long Revision { get; init; }
}
