namespace Statehouse.Client;

/// <summary>A granted lease.</summary>
/// <param name="LeaseId">The lease's id.</param>
/// <param name="Ttl">The time to live the server granted.</param>
/// <param name="Revision">The store revision after the grant.</param>
public sealed record LeaseGrantResult(long LeaseId, TimeSpan Ttl, long Revision);
