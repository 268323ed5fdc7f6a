using Grpc.Core;
using Statehouse.Core;

namespace Statehouse.Server;

/// <summary>The one table mapping error codes to gRPC status codes, HTTP statuses and CLI exit codes.</summary>
public static class ErrorMapping
{
    /// <summary>gRPC trailer carrying the stable code name.</summary>
    public const string CodeTrailer = "statehouse-code";

    /// <summary>gRPC trailer carrying the key's current mod revision on PreconditionFailed.</summary>
    public const string CurrentRevisionTrailer = "statehouse-current-revision";

    /// <summary>gRPC trailer carrying the oldest available revision on Compacted.</summary>
    public const string CompactRevisionTrailer = "statehouse-compact-revision";

    /// <summary>gRPC trailer carrying the leader's address on NotLeader.</summary>
    public const string LeaderTrailer = "statehouse-leader";

    /// <summary>The gRPC status for a code.</summary>
    public static StatusCode ToGrpc(ErrorCode code) => code switch
    {
        ErrorCode.NotFound => StatusCode.NotFound,
        ErrorCode.PreconditionFailed => StatusCode.FailedPrecondition,
        ErrorCode.NotLeader => StatusCode.Unavailable,
        ErrorCode.Unavailable => StatusCode.Unavailable,
        ErrorCode.Timeout => StatusCode.DeadlineExceeded,
        ErrorCode.Compacted => StatusCode.OutOfRange,
        ErrorCode.InvalidArgument => StatusCode.InvalidArgument,
        ErrorCode.QuotaExceeded => StatusCode.ResourceExhausted,
        ErrorCode.Unauthenticated => StatusCode.Unauthenticated,
        ErrorCode.PermissionDenied => StatusCode.PermissionDenied,
        _ => StatusCode.Internal,
    };

    /// <summary>The HTTP status for a code.</summary>
    public static int ToHttp(ErrorCode code) => code switch
    {
        ErrorCode.NotFound => 404,
        ErrorCode.PreconditionFailed => 412,
        ErrorCode.NotLeader => 421,
        ErrorCode.Unavailable => 503,
        ErrorCode.Timeout => 504,
        ErrorCode.Compacted => 410,
        ErrorCode.InvalidArgument => 400,
        ErrorCode.QuotaExceeded => 429,
        ErrorCode.Unauthenticated => 401,
        ErrorCode.PermissionDenied => 403,
        _ => 500,
    };

    /// <summary>The CLI exit code for a code (0 success, 1 unexpected failure, 2 usage).</summary>
    public static int ToExitCode(ErrorCode code) => code switch
    {
        ErrorCode.None => 0,
        ErrorCode.NotFound => 3,
        ErrorCode.PreconditionFailed => 4,
        ErrorCode.NotLeader => 5,
        ErrorCode.Unavailable => 6,
        ErrorCode.Timeout => 7,
        ErrorCode.Compacted => 8,
        ErrorCode.InvalidArgument => 9,
        ErrorCode.QuotaExceeded => 10,
        ErrorCode.Unauthenticated => 11,
        ErrorCode.PermissionDenied => 12,
        _ => 1,
    };

    /// <summary>Builds the RpcException for a Statehouse failure, with the code and details as trailers.</summary>
    public static RpcException ToRpcException(StatehouseException ex)
    {
        var trailers = new Metadata { { CodeTrailer, ex.Code.ToString() } };
        if (ex.CurrentRevision is { } current)
        {
            trailers.Add(CurrentRevisionTrailer, current.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (ex.CompactRevision is { } compact)
        {
            trailers.Add(CompactRevisionTrailer, compact.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (ex.LeaderHint is { } leader)
        {
            trailers.Add(LeaderTrailer, leader);
        }

        return new RpcException(new Status(ToGrpc(ex.Code), ex.Message), trailers);
    }
}
