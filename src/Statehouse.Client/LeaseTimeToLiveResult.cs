namespace Statehouse.Client;

/// <summary>What the server knows of a lease.</summary>
/// <param name="LeaseId">The lease's id.</param>
/// <param name="Remaining">The remaining time to live, or <see langword="null"/> when the lease does not exist.</param>
/// <param name="GrantedTtl">The time to live it was granted with.</param>
/// <param name="Keys">The attached keys as <c>keyspace/key</c> (when requested).</param>
/// <param name="Revision">The store revision the answer reflects.</param>
public sealed record LeaseTimeToLiveResult(long LeaseId, TimeSpan? Remaining, TimeSpan GrantedTtl, IReadOnlyList<string> Keys, long Revision);
