namespace Statehouse.Client;

/// <summary>One member of the cluster as the answering node sees it (<c>statehouse.v1.ClusterMember</c>).</summary>
public sealed record ClusterMemberInfo
{
    /// <summary>The role a member has when it leads the cluster.</summary>
    public const string LeaderRole = "leader";

    /// <summary>The node id (<c>statehouse serve --node-id</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The node's Raft listener, <c>host:port</c>.</summary>
    public required string RaftAddress { get; init; }

    /// <summary>The node's HTTP/JSON endpoint, <c>host:port</c> (empty when unknown).</summary>
    public string HttpAddress { get; init; } = string.Empty;

    /// <summary>The node's gRPC endpoint, <c>host:port</c> (empty when unknown): what a client connects to.</summary>
    public string GrpcAddress { get; init; } = string.Empty;

    /// <summary><c>leader</c>, <c>follower</c> or <c>unknown</c>.</summary>
    public required string Role { get; init; }

    /// <summary>Whether the member answered the answering node's status probe.</summary>
    public bool Available { get; init; }

    /// <summary>The last log index the member applied.</summary>
    public ulong AppliedIndex { get; init; }

    /// <summary>The last log index the member knows to be committed.</summary>
    public ulong CommitIndex { get; init; }

    /// <summary>The leader's applied index minus the member's: 0 on the leader, -1 when unknown (the member did not answer).</summary>
    public long Lag { get; init; }

    /// <summary>The store revision the member has applied.</summary>
    public long Revision { get; init; }

    /// <summary>The Raft term the member is in.</summary>
    public ulong Term { get; init; }

    /// <summary>Whether this member is the leader.</summary>
    public bool IsLeader => string.Equals(Role, LeaderRole, StringComparison.OrdinalIgnoreCase);
}
