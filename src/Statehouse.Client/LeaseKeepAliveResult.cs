namespace Statehouse.Client;

/// <summary>The answer to one keep-alive.</summary>
/// <param name="LeaseId">The lease's id.</param>
/// <param name="Ttl">The renewed time to live; zero when the lease no longer exists.</param>
/// <param name="Revision">The store revision the answer reflects.</param>
public sealed record LeaseKeepAliveResult(long LeaseId, TimeSpan Ttl, long Revision)
{
    /// <summary>Whether the lease still exists and was renewed.</summary>
    public bool IsAlive => Ttl > TimeSpan.Zero;
}
