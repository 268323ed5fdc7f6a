using Wire = Statehouse.V1;

namespace Statehouse.Client;

public sealed partial class StateClient
{
    /// <summary>Reads the cluster's members, their roles and progress, and the leader, as the current endpoint sees them.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The membership; <see cref="ClusterInfo.Clustered"/> is false for a single node.</returns>
    public async ValueTask<ClusterInfo> GetClusterAsync(CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(
            "ClusterMembers",
            new Wire.ClusterMembersRequest(),
            static (invoker, r, o) => new Wire.Cluster.ClusterClient(invoker).MembersAsync(r, o),
            cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return ProtoConvert.ToResult(response);
    }

    /// <summary>
    /// Adds a node to the cluster. Start the node first with <c>--join</c>; the call returns once the new configuration
    /// is committed (the node catches up first). Each attempt may take up to <see cref="StateClientOptions.MembershipTimeout"/>.
    /// </summary>
    /// <param name="raftAddress">The new node's Raft listener, <c>host:port</c>.</param>
    /// <param name="cancellationToken">Cancels the call (the change may still be made).</param>
    /// <returns>The membership after the change.</returns>
    /// <remarks>
    /// A membership change carries no request id: a retry after a lost answer asks again for a change that may already
    /// be made, and the server answers it as such.
    /// </remarks>
    public async ValueTask<ClusterInfo> AddMemberAsync(string raftAddress, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(raftAddress);
        var response = await CallAsync(
            "AddMember",
            new Wire.AddMemberRequest { RaftAddress = raftAddress.Trim() },
            static (invoker, r, o) => new Wire.Cluster.ClusterClient(invoker).AddMemberAsync(r, o),
            _options.MembershipTimeout,
            cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return ProtoConvert.ToResult(response);
    }

    /// <summary>
    /// Removes a member from the cluster. Each attempt may take up to <see cref="StateClientOptions.MembershipTimeout"/>.
    /// </summary>
    /// <param name="member">The member's node id or Raft address.</param>
    /// <param name="cancellationToken">Cancels the call (the change may still be made).</param>
    /// <returns>The membership after the change.</returns>
    public async ValueTask<ClusterInfo> RemoveMemberAsync(string member, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(member);
        var response = await CallAsync(
            "RemoveMember",
            new Wire.RemoveMemberRequest { Member = member.Trim() },
            static (invoker, r, o) => new Wire.Cluster.ClusterClient(invoker).RemoveMemberAsync(r, o),
            _options.MembershipTimeout,
            cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return ProtoConvert.ToResult(response);
    }
}
