namespace Statehouse.Client;

/// <summary>The answer to a lease revocation.</summary>
/// <param name="KeysDeleted">How many keys attached to the lease were deleted.</param>
/// <param name="Revision">The store revision after the revocation.</param>
public sealed record LeaseRevokeResult(long KeysDeleted, long Revision);
