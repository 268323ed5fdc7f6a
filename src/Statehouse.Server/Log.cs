using Microsoft.Extensions.Logging;

namespace Statehouse.Server;

/// <summary>Source-generated log messages of the Server project (event ids 4000–4099).</summary>
internal static partial class Log
{
    /// <summary>One line per malformed gRPC message, without a stack trace: the client's fault, not the node's.</summary>
    [LoggerMessage(EventId = 4000, Level = LogLevel.Warning, Message = "Malformed gRPC message for {Method} from {Peer}: {Reason}")]
    public static partial void MalformedGrpcMessage(ILogger logger, string method, string peer, string reason);
}
