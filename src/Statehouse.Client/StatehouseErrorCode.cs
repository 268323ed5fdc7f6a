namespace Statehouse.Client;

/// <summary>
/// The closed set of Statehouse error codes. The server sends one of them in the <c>statehouse-code</c> trailer;
/// the same set maps to gRPC status codes, HTTP problem+json and CLI exit codes.
/// </summary>
public enum StatehouseErrorCode
{
    /// <summary>The key, lease or keyspace does not exist.</summary>
    NotFound = 1,

    /// <summary>A precondition (compare-and-set, ETag) did not hold; see <see cref="StatehouseException.CurrentRevision"/>.</summary>
    PreconditionFailed = 2,

    /// <summary>The node is not the leader; see <see cref="StatehouseException.LeaderHint"/>.</summary>
    NotLeader = 3,

    /// <summary>The node or the cluster cannot serve the request right now; safe to retry.</summary>
    Unavailable = 4,

    /// <summary>The request did not complete within its deadline; safe to retry with the same request id.</summary>
    Timeout = 5,

    /// <summary>The requested revision has been compacted; see <see cref="StatehouseException.CompactRevision"/>.</summary>
    Compacted = 6,

    /// <summary>The request is malformed or violates a limit of the keyspace.</summary>
    InvalidArgument = 7,

    /// <summary>A quota (keys, bytes, rate) is exhausted.</summary>
    QuotaExceeded = 8,

    /// <summary>The caller is not authenticated.</summary>
    Unauthenticated = 9,

    /// <summary>The caller may not perform this operation.</summary>
    PermissionDenied = 10,
}
