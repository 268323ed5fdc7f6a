using Microsoft.Extensions.Logging;

namespace Statehouse.Server;

/// <summary>The server's log messages (event ids 4000-4999; the peer plane 4100-4199).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Warning, Message = "The leader {LeaderId} (term {Term}) no longer lists this node in its configuration ({Members}): leaving the cluster")]
    public static partial void AbsentFromConfiguration(ILogger logger, string leaderId, long term, string members);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "Membership check failed: {Reason}")]
    public static partial void MembershipCheckFailed(ILogger logger, string reason);
}
