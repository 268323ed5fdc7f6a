namespace Statehouse.Cli;

/// <summary>The cluster flags of <c>statehouse serve</c> as given; <see langword="null"/> means not given (the server's default).</summary>
internal sealed record ServeClusterFlags
{
    /// <summary><c>--raft HOST:PORT</c>.</summary>
    public string? Raft { get; init; }

    /// <summary><c>--peer HOST:PORT</c>: the node-to-node listener (default: the Raft host, Raft port + 1).</summary>
    public string? Peer { get; init; }

    /// <summary><c>--initial-cluster id=HOST:PORT,...</c>.</summary>
    public string? InitialCluster { get; init; }

    /// <summary><c>--join URL[,URL]</c>.</summary>
    public string? Join { get; init; }

    /// <summary><c>--election-timeout-min-ms</c>.</summary>
    public int? ElectionTimeoutMinMs { get; init; }

    /// <summary><c>--election-timeout-max-ms</c>.</summary>
    public int? ElectionTimeoutMaxMs { get; init; }

    /// <summary><c>--raft-request-timeout-ms</c>.</summary>
    public int? RaftRequestTimeoutMs { get; init; }

    /// <summary><c>--max-staleness-ms</c>: the default bound of bounded reads.</summary>
    public int? MaxStalenessMs { get; init; }

    /// <summary><c>--session-wait-ms</c>: how long a session read waits for this replica to reach the token.</summary>
    public int? SessionWaitMs { get; init; }
}
