using Microsoft.Extensions.Logging;

namespace Statehouse.Replication;

/// <summary>Source-generated log messages of Statehouse.Replication. Event ids 5000–5099.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Critical,
        Message = "The replica host stopped: every group on this node stops serving until the process restarts")]
    public static partial void HostStopped(ILogger logger, Exception exception);
}
