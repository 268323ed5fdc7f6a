using System.CommandLine;
using System.Globalization;
using Statehouse.Client;

namespace Statehouse.Cli;

/// <summary>How a command becomes a client command: global options, a client, a deadline, and error translation.</summary>
internal static class ClientCommand
{
    /// <summary>Sets an action that runs <paramref name="action"/> with a client (the global options are added to the top-level command).</summary>
    /// <param name="command">The command.</param>
    /// <param name="context">The process's (or test's) context.</param>
    /// <param name="globals">The global options.</param>
    /// <param name="action">The command's work; returns the exit code.</param>
    /// <param name="streaming">
    /// Whether the command runs until stopped (watch, keepalive): <c>--timeout</c> then bounds each request, not the
    /// whole command, and Ctrl+C is a normal end.
    /// </param>
    public static void Configure(Command command, CliContext context, GlobalOptions globals, Func<ClientInvocation, Task<int>> action, bool streaming = false)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(globals);
        ArgumentNullException.ThrowIfNull(action);
        command.SetAction((parse, cancellationToken) => RunAsync(parse, context, globals, action, streaming, cancellationToken));
    }

    private static async Task<int> RunAsync(
        ParseResult parse,
        CliContext context,
        GlobalOptions globals,
        Func<ClientInvocation, Task<int>> action,
        bool streaming,
        CancellationToken cancellationToken)
    {
        var settings = globals.Read(parse);
        var output = new CliOutput(context, globals.IsJson(parse));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (!streaming && settings.Timeout is { } timeout)
        {
            deadline.CancelAfter(timeout);
        }

        var client = context.ClientFactory(settings);
        await using (client.ConfigureAwait(false))
        {
            try
            {
                return await action(new ClientInvocation(parse, settings, client, output, context, deadline.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (streaming && cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C is how a watch or a keep-alive is meant to end.
                return ExitCodes.Success;
            }
            catch (OperationCanceledException ex) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new StatehouseException(
                    StatehouseErrorCode.Timeout,
                    string.Create(CultureInfo.InvariantCulture, $"the command did not complete within {settings.Timeout!.Value.TotalSeconds:0.###} s"),
                    ex);
            }
            catch (StatehouseException ex) when (NodeUnreachableException.IsConnectionFailure(ex))
            {
                throw new NodeUnreachableException(settings.Endpoints, ex);
            }
        }
    }
}
