namespace Statehouse.Client;

/// <summary>The live leases.</summary>
/// <param name="LeaseIds">Their ids.</param>
/// <param name="Revision">The store revision the answer reflects.</param>
public sealed record LeaseListResult(IReadOnlyList<long> LeaseIds, long Revision);
