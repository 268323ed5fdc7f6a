namespace Statehouse.Client;

/// <summary>The configuration of a keyspace.</summary>
/// <param name="Name">The keyspace's name.</param>
public sealed record KeyspaceDefinition(string Name)
{
    /// <summary>The largest key; 0 means the node's default.</summary>
    public int MaxKeyBytes { get; init; }

    /// <summary>The largest value; 0 means the node's default.</summary>
    public int MaxValueBytes { get; init; }

    /// <summary>The most keys; 0 means unlimited.</summary>
    public long MaxKeys { get; init; }
}
