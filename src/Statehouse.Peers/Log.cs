using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Statehouse.Peers;

/// <summary>Source-generated log messages of Statehouse.Peers. Event ids 5100–5199.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "The peer stream to node {Node} broke ({Status}: {Detail}); reopening it")]
    public static partial void PeerStreamBroken(ILogger logger, ulong node, StatusCode status, string detail);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "A peer call from {Caller} was refused: {Reason}")]
    public static partial void PeerCallRefused(ILogger logger, string caller, string reason);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Node {Node} sent {Refused} messages that were refused (first: {Reason})")]
    public static partial void PeerMessagesRefused(ILogger logger, ulong node, long refused, string reason);
}
