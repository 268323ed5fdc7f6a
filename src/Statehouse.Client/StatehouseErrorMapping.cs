using System.Globalization;
using Grpc.Core;

namespace Statehouse.Client;

/// <summary>
/// The one table that maps the closed set of Statehouse error codes to and from gRPC status codes and trailers.
/// </summary>
internal static class StatehouseErrorMapping
{
    internal const string CodeTrailer = "statehouse-code";
    internal const string CurrentRevisionTrailer = "statehouse-current-revision";
    internal const string CompactRevisionTrailer = "statehouse-compact-revision";
    internal const string LeaderTrailer = "statehouse-leader";

    /// <summary>The gRPC status code the server uses for a Statehouse code.</summary>
    internal static StatusCode ToStatusCode(StatehouseErrorCode code) => code switch
    {
        StatehouseErrorCode.NotFound => StatusCode.NotFound,
        StatehouseErrorCode.PreconditionFailed => StatusCode.FailedPrecondition,
        StatehouseErrorCode.NotLeader => StatusCode.Unavailable,
        StatehouseErrorCode.Unavailable => StatusCode.Unavailable,
        StatehouseErrorCode.Timeout => StatusCode.DeadlineExceeded,
        StatehouseErrorCode.Compacted => StatusCode.OutOfRange,
        StatehouseErrorCode.InvalidArgument => StatusCode.InvalidArgument,
        StatehouseErrorCode.QuotaExceeded => StatusCode.ResourceExhausted,
        StatehouseErrorCode.Unauthenticated => StatusCode.Unauthenticated,
        StatehouseErrorCode.PermissionDenied => StatusCode.PermissionDenied,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "Not a Statehouse error code."),
    };

    /// <summary>
    /// The Statehouse code for a status that arrived without a <c>statehouse-code</c> trailer.
    /// Statuses outside the contract (Unknown, Internal, Aborted, DataLoss, Cancelled) come from the transport
    /// or a proxy and are reported as <see cref="StatehouseErrorCode.Unavailable"/>.
    /// </summary>
    internal static StatehouseErrorCode FromStatusCode(StatusCode status, bool hasLeaderHint) => status switch
    {
        StatusCode.NotFound => StatehouseErrorCode.NotFound,
        StatusCode.FailedPrecondition => StatehouseErrorCode.PreconditionFailed,
        StatusCode.AlreadyExists => StatehouseErrorCode.PreconditionFailed,
        StatusCode.Unavailable => hasLeaderHint ? StatehouseErrorCode.NotLeader : StatehouseErrorCode.Unavailable,
        StatusCode.DeadlineExceeded => StatehouseErrorCode.Timeout,
        StatusCode.OutOfRange => StatehouseErrorCode.Compacted,
        StatusCode.InvalidArgument => StatehouseErrorCode.InvalidArgument,
        StatusCode.Unimplemented => StatehouseErrorCode.InvalidArgument,
        StatusCode.ResourceExhausted => StatehouseErrorCode.QuotaExceeded,
        StatusCode.Unauthenticated => StatehouseErrorCode.Unauthenticated,
        StatusCode.PermissionDenied => StatehouseErrorCode.PermissionDenied,
        _ => StatehouseErrorCode.Unavailable,
    };

    /// <summary>Whether a Statehouse code means "try again, possibly elsewhere".</summary>
    internal static bool IsTransient(StatehouseErrorCode code) =>
        code is StatehouseErrorCode.Unavailable or StatehouseErrorCode.Timeout or StatehouseErrorCode.NotLeader;

    /// <summary>
    /// Whether a status without a Statehouse trailer is a transport failure worth retrying:
    /// Unavailable (connection refused or reset), DeadlineExceeded, and Internal (a stream reset mid-call).
    /// </summary>
    internal static bool IsTransientStatus(StatusCode status) =>
        status is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal;

    internal static bool TryParseCode(string? value, out StatehouseErrorCode code)
    {
        code = default;
        return !string.IsNullOrWhiteSpace(value)
            && !int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            && Enum.TryParse(value.Trim(), ignoreCase: true, out code)
            && Enum.IsDefined(code);
    }

    internal static long? ParseRevision(string? value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var revision) ? revision : null;
}
