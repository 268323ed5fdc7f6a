using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Statehouse.Server.Cluster;

/// <summary>
/// Keeps the peer plane (the <c>statehouse.v1.Peer</c> service) and the client plane apart: peer calls are answered only
/// on the peer listener's port, and that port answers nothing else.
/// </summary>
/// <remarks>
/// Decided by the local port the connection arrived on (Kestrel's, which the caller cannot choose for a given
/// listener), never by the Host header or :authority, which the caller writes. A refused call gets what gRPC answers for a
/// service that does not exist (Unimplemented), or 404 for a non-gRPC request.
/// </remarks>
public static class PeerPlane
{
    /// <summary>The path prefix of every peer call.</summary>
    public const string PathPrefix = "/statehouse.v1.Peer/";

    /// <summary>Adds the separation middleware; <paramref name="peerPort"/> null (a single node): no peer calls at all.</summary>
    public static IApplicationBuilder UsePeerPlaneSeparation(this IApplicationBuilder app, int? peerPort)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Use((context, next) =>
        {
            var isPeerCall = context.Request.Path.StartsWithSegments(PathPrefix.TrimEnd('/'), StringComparison.Ordinal);
            var onPeerPort = peerPort is { } port && context.Connection.LocalPort == port;
            if (isPeerCall == onPeerPort)
            {
                return next(context);
            }

            return Refuse(context, isPeerCall
                ? "The peer service is not served on client ports."
                : "This is the peer listener: only node-to-node calls are served here.");
        });
    }

    private static Task Refuse(HttpContext context, string message)
    {
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            // A trailers-only gRPC response: status in the headers, no body.
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "12";
            context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return Task.CompletedTask;
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}
