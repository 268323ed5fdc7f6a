using Grpc.Core;

namespace Statehouse.Client.Tests.Fakes;

/// <summary>Builds the errors a Statehouse server sends: a status plus the statehouse-* trailers.</summary>
internal static class Faults
{
    public static RpcException Error(StatehouseErrorCode code, string detail = "injected", long? currentRevision = null, long? compactRevision = null, string? leader = null)
    {
        var trailers = new Metadata { { "statehouse-code", code.ToString() } };
        if (currentRevision is { } current)
        {
            trailers.Add("statehouse-current-revision", current.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (compactRevision is { } compact)
        {
            trailers.Add("statehouse-compact-revision", compact.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (leader is not null)
        {
            trailers.Add("statehouse-leader", leader);
        }

        return new RpcException(new Status(StatehouseErrorMapping.ToStatusCode(code), detail), trailers);
    }

    /// <summary>A bare status without Statehouse trailers, as a proxy or a transport failure would produce.</summary>
    public static RpcException Bare(StatusCode status, string detail = "injected") => new(new Status(status, detail));
}
