using Grpc.Core;

namespace Statehouse.Client;

/// <summary>
/// A failure reported by Statehouse (or by the transport on the way to it), carrying one code of the closed set.
/// </summary>
/// <remarks>
/// Expected outcomes that callers branch on (a failed precondition, a compacted revision, a missing key) arrive as this
/// exception with <see cref="Code"/> set; <see cref="IsTransient"/> says whether the client's retry policy treats it as
/// safe to try again.
/// </remarks>
public sealed class StatehouseException : Exception
{
    /// <summary>Creates an exception with a code and a message.</summary>
    public StatehouseException(StatehouseErrorCode code, string message)
        : this(code, message, null)
    {
    }

    /// <summary>Creates an exception with a code, a message and the exception that caused it.</summary>
    public StatehouseException(StatehouseErrorCode code, string message, Exception? innerException)
        : base(message, innerException)
    {
        Code = code;
        IsTransient = StatehouseErrorMapping.IsTransient(code);
    }

    /// <summary>The Statehouse error code.</summary>
    public StatehouseErrorCode Code { get; }

    /// <summary>For <see cref="StatehouseErrorCode.PreconditionFailed"/>: the key's current mod revision when the server sent it.</summary>
    public long? CurrentRevision { get; init; }

    /// <summary>For <see cref="StatehouseErrorCode.Compacted"/>: the revision history is compacted up to.</summary>
    public long? CompactRevision { get; init; }

    /// <summary>For <see cref="StatehouseErrorCode.NotLeader"/>: the leader's gRPC address when the node knows it.</summary>
    public string? LeaderHint { get; init; }

    /// <summary>The gRPC status code the error arrived with, or <see langword="null"/> when it did not come from the wire.</summary>
    public StatusCode? GrpcStatusCode { get; init; }

    /// <summary>Whether retrying (with the same request id) is safe and may succeed.</summary>
    public bool IsTransient { get; init; }

    /// <summary>
    /// Converts a gRPC failure into a <see cref="StatehouseException"/>: the code comes from the <c>statehouse-code</c>
    /// trailer, or is derived from the status code when the trailer is missing or unknown.
    /// </summary>
    /// <param name="exception">The gRPC failure.</param>
    /// <returns>The converted exception, with <paramref name="exception"/> as its inner exception.</returns>
    public static StatehouseException FromRpcException(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);

        var trailers = exception.Trailers;
        var leader = trailers.GetValue(StatehouseErrorMapping.LeaderTrailer);
        var hasLeader = !string.IsNullOrWhiteSpace(leader);
        var fromTrailer = StatehouseErrorMapping.TryParseCode(
            trailers.GetValue(StatehouseErrorMapping.CodeTrailer), out var code);
        if (!fromTrailer)
        {
            code = StatehouseErrorMapping.FromStatusCode(exception.StatusCode, hasLeader);
        }

        // With a trailer the server classified the error itself; without one only a transport failure is retried.
        var transient = fromTrailer
            ? StatehouseErrorMapping.IsTransient(code)
            : StatehouseErrorMapping.IsTransientStatus(exception.StatusCode);

        var detail = string.IsNullOrEmpty(exception.Status.Detail) ? exception.StatusCode.ToString() : exception.Status.Detail;
        return new StatehouseException(code, $"{code}: {detail}", exception)
        {
            GrpcStatusCode = exception.StatusCode,
            CurrentRevision = StatehouseErrorMapping.ParseRevision(trailers.GetValue(StatehouseErrorMapping.CurrentRevisionTrailer)),
            CompactRevision = StatehouseErrorMapping.ParseRevision(trailers.GetValue(StatehouseErrorMapping.CompactRevisionTrailer)),
            LeaderHint = hasLeader ? leader!.Trim() : null,
            IsTransient = transient,
        };
    }
}
