namespace Statehouse.Cli;

/// <summary>What the global options say about how to reach the cluster.</summary>
/// <param name="Endpoints">The gRPC endpoints, at least one.</param>
/// <param name="Keyspace">The keyspace of every call.</param>
/// <param name="Timeout">The deadline of the whole command (and of each attempt); <see langword="null"/> for the client's defaults.</param>
internal sealed record ClientSettings(IReadOnlyList<Uri> Endpoints, string Keyspace, TimeSpan? Timeout);
