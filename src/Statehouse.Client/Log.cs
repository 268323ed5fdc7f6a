using Microsoft.Extensions.Logging;

namespace Statehouse.Client;

/// <summary>The client's log messages. Event ids 6000-6099 belong to Statehouse.Client.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Debug, Message = "{Operation} on {Endpoint} failed with {Code} (transient: {Transient})")]
    internal static partial void CallFailed(ILogger logger, string operation, Uri endpoint, StatehouseErrorCode code, bool transient, Exception exception);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Calls move from {From} to {To}")]
    internal static partial void EndpointChanged(ILogger logger, Uri from, Uri to);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Debug, Message = "Retrying {Operation}, attempt {Attempt}, after {DelayMs} ms")]
    internal static partial void Retrying(ILogger logger, string operation, int attempt, double delayMs);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Watch on {Range} reconnects from revision {Revision} after {Reason}")]
    internal static partial void WatchReconnecting(ILogger logger, string range, long revision, string reason);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Warning, Message = "Lease {LeaseId} is lost: {Reason}")]
    internal static partial void LeaseLost(ILogger logger, long leaseId, string reason);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Debug, Message = "Keep-alive of lease {LeaseId} failed with {Code}; retrying")]
    internal static partial void KeepAliveFailed(ILogger logger, long leaseId, StatehouseErrorCode code);
}
