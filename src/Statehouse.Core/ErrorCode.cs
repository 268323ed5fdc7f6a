namespace Statehouse.Core;

/// <summary>The closed set of error codes, mapped the same way to gRPC, HTTP problem details and CLI exit codes.</summary>
public enum ErrorCode
{
    /// <summary>No error.</summary>
    None = 0,
    NotFound = 1,
    PreconditionFailed = 2,
    NotLeader = 3,
    Unavailable = 4,
    Timeout = 5,
    Compacted = 6,
    InvalidArgument = 7,
    QuotaExceeded = 8,
    Unauthenticated = 9,
    PermissionDenied = 10,
}

/// <summary>A failure at a boundary, carrying a stable <see cref="ErrorCode"/>.</summary>
public sealed class StatehouseException : Exception
{
    public StatehouseException(ErrorCode code, string message) : base(message) => Code = code;

    public StatehouseException(ErrorCode code, string message, Exception inner) : base(message, inner) => Code = code;

    /// <summary>The stable error code.</summary>
    public ErrorCode Code { get; }

    /// <summary>For <see cref="ErrorCode.PreconditionFailed"/>: the key's current mod revision (0 when absent).</summary>
    public long? CurrentRevision { get; init; }

    /// <summary>For <see cref="ErrorCode.Compacted"/>: the oldest revision still available.</summary>
    public long? CompactRevision { get; init; }

    /// <summary>For <see cref="ErrorCode.NotLeader"/>: where the leader may be reached.</summary>
    public string? LeaderHint { get; init; }
}
