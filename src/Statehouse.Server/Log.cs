using Microsoft.Extensions.Logging;

namespace Statehouse.Server;

/// <summary>Source-generated log messages of the Server project (event ids 4000–4999; the peer plane 4100–4199).</summary>
internal static partial class Log
{
    /// <summary>One line per malformed gRPC message, without a stack trace: the client's fault, not the node's.</summary>
    [LoggerMessage(EventId = 4000, Level = LogLevel.Warning, Message = "Malformed gRPC message for {Method} from {Peer}: {Reason}")]
    public static partial void MalformedGrpcMessage(ILogger logger, string method, string peer, string reason);

    [LoggerMessage(EventId = 4100, Level = LogLevel.Warning, Message = "The leader {LeaderId} (term {Term}) no longer lists this node in its configuration ({Members}): leaving the cluster")]
    public static partial void AbsentFromConfiguration(ILogger logger, string leaderId, long term, string members);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "Membership check failed: {Reason}")]
    public static partial void MembershipCheckFailed(ILogger logger, string reason);
}
