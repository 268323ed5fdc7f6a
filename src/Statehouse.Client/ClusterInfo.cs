namespace Statehouse.Client;

/// <summary>The cluster's membership and leadership as one node sees it (<c>statehouse.v1.ClusterMembersResponse</c>).</summary>
public sealed record ClusterInfo
{
    /// <summary>
    /// Whether the node runs in a Raft cluster; <see langword="false"/> for a single node started without
    /// <c>--initial-cluster</c> or <c>--join</c>.
    /// </summary>
    public bool Clustered { get; init; }

    /// <summary>The id of the node that answered, or <see langword="null"/> when it did not say.</summary>
    public string? Self { get; init; }

    /// <summary>The leader's id as the answering node knows it, or <see langword="null"/> when there is none (an election).</summary>
    public string? LeaderId { get; init; }

    /// <summary>The Raft term the answering node is in.</summary>
    public ulong Term { get; init; }

    /// <summary>Every member, in the server's order.</summary>
    public IReadOnlyList<ClusterMemberInfo> Members { get; init; } = [];

    /// <summary>The store revision of the answer.</summary>
    public long Revision { get; init; }

    /// <summary>The leader's entry in <see cref="Members"/>, or <see langword="null"/> when there is no leader or it is not listed.</summary>
    public ClusterMemberInfo? Leader =>
        LeaderId is null ? null : Members.FirstOrDefault(m => string.Equals(m.Id, LeaderId, StringComparison.Ordinal));
}
