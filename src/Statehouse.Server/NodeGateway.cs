using Statehouse.Cluster;
using Statehouse.Core;
using Statehouse.Core.Model;
using Statehouse.Core.Store;

namespace Statehouse.Server;

/// <summary>
/// What the API layers (gRPC and HTTP) share: run a command through the node and turn an expected failure into the
/// boundary exception; pick the view a read is served from.
/// </summary>
public sealed class NodeGateway(StatehouseNode node, ServerOptions options)
{
    /// <summary>How long a write may wait for the log before the caller gets Timeout (outcome unknown).</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The node.</summary>
    public StatehouseNode Node => node;

    /// <summary>The server options.</summary>
    public ServerOptions Options => options;

    /// <summary>The view a read is served from. On a single member every level is served by the latest applied state,
    /// which already holds every acknowledged write, so it is linearizable.</summary>
    public StoreView ReadView() => node.View;

    /// <summary>Runs a command; an <see cref="ErrorResult"/> becomes a <see cref="StatehouseException"/>.</summary>
    public async ValueTask<T> ExecuteAsync<T>(Command command, CancellationToken cancellationToken)
        where T : CommandResult
    {
        CommandResult result;
        try
        {
            // One timer and one registration per write, no linked token source: this is the hot path.
            result = await node.Propose(command).WaitAsync(WriteTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new StatehouseException(ErrorCode.Timeout, $"The write was not confirmed within {WriteTimeout.TotalSeconds:F0} s; it may still apply. Retry with the same request id.");
        }

        return result switch
        {
            ErrorResult error => throw error.ToException(),
            T typed => typed,
            _ => throw new InvalidOperationException($"Expected {typeof(T).Name}, got {result.GetType().Name}."),
        };
    }
}
