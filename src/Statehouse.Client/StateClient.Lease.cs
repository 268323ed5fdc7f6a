using Wire = Statehouse.V1;

namespace Statehouse.Client;

public sealed partial class StateClient
{
    /// <summary>Grants a lease; keys attached to it are deleted when it expires or is revoked.</summary>
    /// <param name="ttl">The time to live (whole seconds, rounded up).</param>
    /// <param name="leaseId">The id to use; 0 lets the server choose.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The lease's id and granted TTL.</returns>
    public async ValueTask<LeaseGrantResult> LeaseGrantAsync(TimeSpan ttl, long leaseId = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(leaseId);
        var request = new Wire.LeaseGrantRequest { TtlSeconds = ProtoConvert.TtlSeconds(ttl), Id = leaseId, RequestId = NextRequestId() };
        var response = await CallAsync(
            "LeaseGrant", request, static (invoker, r, o) => new Wire.Lease.LeaseClient(invoker).GrantAsync(r, o), cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return new LeaseGrantResult(response.Id, TimeSpan.FromSeconds(response.TtlSeconds), ProtoConvert.Revision(response.Header));
    }

    /// <summary>Revokes a lease and deletes its keys.</summary>
    /// <param name="leaseId">The lease.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many keys were deleted.</returns>
    public async ValueTask<LeaseRevokeResult> LeaseRevokeAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        var request = new Wire.LeaseRevokeRequest { Id = leaseId, RequestId = NextRequestId() };
        var response = await CallAsync(
            "LeaseRevoke", request, static (invoker, r, o) => new Wire.Lease.LeaseClient(invoker).RevokeAsync(r, o), cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return new LeaseRevokeResult(response.KeysDeleted, ProtoConvert.Revision(response.Header));
    }

    /// <summary>Renews a lease once. For continuous renewal use <see cref="StartLeaseKeepAlive"/>.</summary>
    /// <param name="leaseId">The lease.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The renewed TTL; <see cref="LeaseKeepAliveResult.IsAlive"/> is false when the lease no longer exists.</returns>
    public async ValueTask<LeaseKeepAliveResult> LeaseKeepAliveOnceAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        var request = new Wire.LeaseKeepAliveRequest { Id = leaseId };
        var response = await CallAsync(
            "LeaseKeepAliveOnce", request, static (invoker, r, o) => new Wire.Lease.LeaseClient(invoker).KeepAliveOnceAsync(r, o), cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return new LeaseKeepAliveResult(response.Id, TimeSpan.FromSeconds(Math.Max(0, response.TtlSeconds)), ProtoConvert.Revision(response.Header));
    }

    /// <summary>Reads a lease's remaining and granted TTL, and optionally its keys.</summary>
    /// <param name="leaseId">The lease.</param>
    /// <param name="includeKeys">Whether to list the attached keys.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What the server knows; <see cref="LeaseTimeToLiveResult.Remaining"/> is null when the lease does not exist.</returns>
    public async ValueTask<LeaseTimeToLiveResult> LeaseTimeToLiveAsync(long leaseId, bool includeKeys = false, CancellationToken cancellationToken = default)
    {
        var request = new Wire.LeaseTimeToLiveRequest { Id = leaseId, Keys = includeKeys };
        var response = await CallAsync(
            "LeaseTimeToLive", request, static (invoker, r, o) => new Wire.Lease.LeaseClient(invoker).TimeToLiveAsync(r, o), cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return new LeaseTimeToLiveResult(
            response.Id,
            response.TtlSeconds < 0 ? null : TimeSpan.FromSeconds(response.TtlSeconds),
            TimeSpan.FromSeconds(response.GrantedTtlSeconds),
            response.Keys.ToArray(),
            ProtoConvert.Revision(response.Header));
    }

    /// <summary>Lists the live leases.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Their ids.</returns>
    public async ValueTask<LeaseListResult> LeaseListAsync(CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(
            "LeaseList", new Wire.LeaseListRequest(), static (invoker, r, o) => new Wire.Lease.LeaseClient(invoker).ListAsync(r, o), cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return new LeaseListResult(response.Ids.ToArray(), ProtoConvert.Revision(response.Header));
    }

    /// <summary>
    /// Keeps a lease alive in the background on the keep-alive stream, renewing every TTL/3, until the returned object
    /// is disposed or the lease is lost.
    /// </summary>
    /// <param name="leaseId">The lease.</param>
    /// <param name="ttl">The lease's TTL, which sets the first renewal interval; later intervals follow the TTL the server reports.</param>
    /// <returns>The running keep-alive; watch <see cref="LeaseKeepAlive.Lost"/> to learn of a lost lease.</returns>
    public LeaseKeepAlive StartLeaseKeepAlive(long leaseId, TimeSpan ttl)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero);
        return LeaseKeepAlive.Start(this, leaseId, ttl);
    }
}
