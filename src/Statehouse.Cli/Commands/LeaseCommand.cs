using System.CommandLine;
using System.Globalization;
using Statehouse.Client;

namespace Statehouse.Cli.Commands;

/// <summary><c>statehouse lease grant|revoke|keepalive|ttl|list</c>.</summary>
internal static class LeaseCommand
{
    /// <summary>The shortest pause between renewals, whatever the TTL.</summary>
    internal static readonly TimeSpan MinRenewInterval = TimeSpan.FromMilliseconds(500);

    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var lease = new Command("lease", "Grant, renew, inspect and revoke leases; keys attached to a lease are deleted when it ends.");
        lease.Subcommands.Add(Grant(context, globals));
        lease.Subcommands.Add(Revoke(context, globals));
        lease.Subcommands.Add(KeepAlive(context, globals));
        lease.Subcommands.Add(TimeToLive(context, globals));
        lease.Subcommands.Add(List(context, globals));
        return lease;
    }

    private static Command Grant(CliContext context, GlobalOptions globals)
    {
        var ttl = new Argument<long>("TTL_SECONDS") { Description = "The time to live in seconds." }.AtLeast(1);
        var id = new Option<long?>("--id") { Description = "Use this lease id (default: the server chooses).", HelpName = "N" }.AtLeast(1);
        var command = new Command("grant", "Grant a lease and print its id.") { ttl, id };
        ClientCommand.Configure(command, context, globals, async run =>
        {
            var result = await run.Client.LeaseGrantAsync(TimeSpan.FromSeconds(run.Get(ttl)), run.Get(id) ?? 0, run.CancellationToken).ConfigureAwait(false);
            if (run.Output.IsJson)
            {
                run.Output.Json(new LeaseJson(result.LeaseId, TtlSeconds: (long)result.Ttl.TotalSeconds, Revision: result.Revision));
            }
            else
            {
                run.Output.Line(result.LeaseId.ToString(CultureInfo.InvariantCulture));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Revoke(CliContext context, GlobalOptions globals)
    {
        var id = LeaseId();
        var command = new Command("revoke", "Revoke a lease, deleting its keys; print how many keys were deleted.") { id };
        ClientCommand.Configure(command, context, globals, async run =>
        {
            var result = await run.Client.LeaseRevokeAsync(run.Get(id), run.CancellationToken).ConfigureAwait(false);
            if (run.Output.IsJson)
            {
                run.Output.Json(new LeaseJson(run.Get(id), KeysDeleted: result.KeysDeleted, Revision: result.Revision));
            }
            else
            {
                run.Output.Line(result.KeysDeleted.ToString(CultureInfo.InvariantCulture));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command KeepAlive(CliContext context, GlobalOptions globals)
    {
        var id = LeaseId();
        var once = new Option<bool>("--once") { Description = "Renew once and exit (default: renew every TTL/3 until Ctrl+C)." };
        var command = new Command("keepalive", "Renew a lease, printing each renewal; exit code 3 once the lease no longer exists.") { id, once };
        ClientCommand.Configure(
            command,
            context,
            globals,
            async run =>
            {
                var leaseId = run.Get(id);
                do
                {
                    var result = await run.Client.LeaseKeepAliveOnceAsync(leaseId, run.CancellationToken).ConfigureAwait(false);
                    if (!result.IsAlive)
                    {
                        throw new StatehouseException(StatehouseErrorCode.NotFound, $"lease {leaseId} not found (expired or revoked)");
                    }

                    PrintRenewal(run.Output, result);
                    if (run.Get(once))
                    {
                        break;
                    }

                    await Task.Delay(RenewInterval(result.Ttl), run.Context.TimeProvider, run.CancellationToken).ConfigureAwait(false);
                }
                while (true);

                return ExitCodes.Success;
            },
            streaming: true);
        return command;
    }

    private static Command TimeToLive(CliContext context, GlobalOptions globals)
    {
        var id = LeaseId();
        var keys = new Option<bool>("--keys") { Description = "Also list the attached keys (as keyspace/key)." };
        var command = new Command("ttl", "Print a lease's remaining and granted TTL.") { id, keys };
        ClientCommand.Configure(command, context, globals, async run =>
        {
            var result = await run.Client.LeaseTimeToLiveAsync(run.Get(id), run.Get(keys), run.CancellationToken).ConfigureAwait(false);
            if (result.Remaining is not { } remaining)
            {
                throw new StatehouseException(StatehouseErrorCode.NotFound, $"lease {run.Get(id)} not found (expired or revoked)");
            }

            if (run.Output.IsJson)
            {
                run.Output.Json(new LeaseJson(
                    result.LeaseId,
                    TtlSeconds: (long)remaining.TotalSeconds,
                    GrantedTtlSeconds: (long)result.GrantedTtl.TotalSeconds,
                    Keys: run.Get(keys) ? result.Keys : null,
                    Revision: result.Revision));
                return ExitCodes.Success;
            }

            run.Output.Line(string.Create(
                CultureInfo.InvariantCulture,
                $"lease {result.LeaseId}: {(long)remaining.TotalSeconds}s remaining of {(long)result.GrantedTtl.TotalSeconds}s"));
            foreach (var key in result.Keys)
            {
                run.Output.Line("  " + Utf8Text.OneLine(key));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(CliContext context, GlobalOptions globals)
    {
        var command = new Command("list", "Print the ids of the live leases, one per line.");
        ClientCommand.Configure(command, context, globals, async run =>
        {
            var result = await run.Client.LeaseListAsync(run.CancellationToken).ConfigureAwait(false);
            if (run.Output.IsJson)
            {
                run.Output.Json(new LeaseListJson(result.LeaseIds, result.Revision));
                return ExitCodes.Success;
            }

            foreach (var leaseId in result.LeaseIds)
            {
                run.Output.Line(leaseId.ToString(CultureInfo.InvariantCulture));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    internal static void PrintRenewal(CliOutput output, LeaseKeepAliveResult result)
    {
        if (output.IsJson)
        {
            output.Json(new LeaseJson(result.LeaseId, TtlSeconds: (long)result.Ttl.TotalSeconds, Revision: result.Revision));
            return;
        }

        output.Line(string.Create(CultureInfo.InvariantCulture, $"lease {result.LeaseId} renewed, ttl {(long)result.Ttl.TotalSeconds}s"));
    }

    /// <summary>A third of the TTL, as the client's own keep-alive does, so two renewals may fail before the lease expires.</summary>
    internal static TimeSpan RenewInterval(TimeSpan ttl)
    {
        var third = ttl / 3;
        return third < MinRenewInterval ? MinRenewInterval : third;
    }

    private static Argument<long> LeaseId() => new Argument<long>("ID") { Description = "The lease id." }.AtLeast(1);
}
