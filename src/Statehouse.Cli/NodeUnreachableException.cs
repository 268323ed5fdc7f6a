using System.Net.Http;
using System.Net.Sockets;
using Grpc.Core;
using Statehouse.Client;

namespace Statehouse.Cli;

/// <summary>No node answered at the endpoint (connection refused or no route): reported as Unavailable with a hint.</summary>
internal sealed class NodeUnreachableException : Exception
{
    /// <summary>The HTTP/2 error code HTTP_1_1_REQUIRED (RFC 9113 §7).</summary>
    private const long Http11RequiredErrorCode = 0xd;

    public NodeUnreachableException(IReadOnlyList<Uri> endpoints, StatehouseException innerException)
        : base($"cannot connect to {Display(endpoints)}: {Describe(innerException)}", innerException)
    {
        Endpoints = endpoints;
    }

    /// <summary>The endpoints the command tried.</summary>
    public IReadOnlyList<Uri> Endpoints { get; }

    /// <summary>What to do about it.</summary>
    public string Hint => $"is a node running at {Display(Endpoints)}? start one with: statehouse serve";

    /// <summary><c>http://host:port</c>, without the trailing slash a <see cref="Uri"/> adds.</summary>
    public static string Display(IReadOnlyList<Uri> endpoints) =>
        string.Join(", ", endpoints.Select(e => e.GetLeftPart(UriPartial.Path).TrimEnd('/')));

    /// <summary>
    /// A hint when the endpoint answered, but with HTTP/1.1 (HTTP/2 error HTTP_1_1_REQUIRED): most likely a node's
    /// HTTP/JSON port given where its gRPC port belongs.
    /// </summary>
    public static string? WrongProtocolHint(Exception exception) =>
        Causes(exception).Any(e => e is HttpProtocolException { ErrorCode: Http11RequiredErrorCode })
            ? "the endpoint speaks HTTP/1.1: --endpoint must name a node's gRPC port (statehouse serve --grpc, default 7071), not its HTTP port"
            : null;

    /// <summary>Whether a failure was a refused or impossible connection rather than an answer from a node.</summary>
    public static bool IsConnectionFailure(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Causes(exception).Any(e =>
            e is SocketException
            || e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError });
    }

    private static string Describe(Exception exception) =>
        Causes(exception).OfType<SocketException>().FirstOrDefault() is { } socket
            ? socket.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : socket.Message
            : "connection failed";

    /// <summary>The exception and its causes, including the transport error gRPC keeps in <see cref="Status.DebugException"/>.</summary>
    internal static IEnumerable<Exception> Causes(Exception exception)
    {
        var pending = new Stack<Exception>();
        pending.Push(exception);

        // Bounded: exception graphs are small, but a cycle must not hang the CLI.
        for (var visited = 0; pending.Count > 0 && visited < 64; visited++)
        {
            var current = pending.Pop();
            yield return current;
            if (current is RpcException { Status.DebugException: { } debug })
            {
                pending.Push(debug);
            }

            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Push(inner);
                }
            }
            else if (current.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }
    }
}
