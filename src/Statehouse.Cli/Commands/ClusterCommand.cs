using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Statehouse.Client;

namespace Statehouse.Cli.Commands;

/// <summary>
/// <c>statehouse cluster members|status|add|remove</c>: the Raft membership, as the node at <c>--endpoint</c> sees it.
/// </summary>
internal static class ClusterCommand
{
    public static Command Create(CliContext context, GlobalOptions globals)
    {
        var cluster = new Command("cluster", "The cluster's members, leader and health; add and remove members.");
        cluster.Subcommands.Add(Members(context, globals));
        cluster.Subcommands.Add(Status(context, globals));
        cluster.Subcommands.Add(Add(context, globals));
        cluster.Subcommands.Add(Remove(context, globals));
        return cluster;
    }

    internal static Command Members(CliContext context, GlobalOptions globals)
    {
        var command = new Command("members", "A table of every member: id, role, Raft/HTTP/gRPC addresses, availability, applied index, lag and revision.");
        ClientCommand.Configure(command, context, globals, async run =>
        {
            var info = await run.Client.GetClusterAsync(run.CancellationToken).ConfigureAwait(false);
            PrintMembers(run.Output, info);
            return ExitCodes.Success;
        });
        return command;
    }

    internal static Command Status(CliContext context, GlobalOptions globals)
    {
        var command = new Command("status", "Leader, term, member count, healthy members and the largest lag; exit code 6 (Unavailable) when there is no leader.");
        ClientCommand.Configure(command, context, globals, async run =>
        {
            var info = await run.Client.GetClusterAsync(run.CancellationToken).ConfigureAwait(false);
            var summary = Summarize(info);
            PrintStatus(run.Output, info, summary);
            if (summary.Leader is null)
            {
                throw new StatehouseException(
                    StatehouseErrorCode.Unavailable,
                    string.Create(CultureInfo.InvariantCulture, $"the cluster has no leader in term {info.Term} (an election may be under way, or too few members are up)"));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    internal static Command Add(CliContext context, GlobalOptions globals)
    {
        var address = new Argument<string>("RAFTADDR") { Description = "The new node's Raft listener, HOST:PORT (start it first with --join)." };
        address.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !HostPort.TryParse(result.Tokens[0].Value, out _, out _))
            {
                result.AddError($"RAFTADDR '{result.Tokens[0].Value}' is not HOST:PORT.");
            }
        });
        var command = new Command("add", "Add a node to the cluster by its Raft address; returns once it has caught up and the change is committed.") { address };
        ClientCommand.Configure(command, context, globals, async run =>
        {
            HostPort.TryParse(run.Get(address), out var raft, out _);
            var info = await run.Client.AddMemberAsync(raft, run.CancellationToken).ConfigureAwait(false);
            if (!run.Output.IsJson)
            {
                run.Output.Line($"added {raft}");
            }

            PrintMembers(run.Output, info);
            return ExitCodes.Success;
        });
        return command;
    }

    internal static Command Remove(CliContext context, GlobalOptions globals)
    {
        var member = new Argument<string>("MEMBER") { Description = "The member's node id or Raft address (HOST:PORT)." }.NotEmpty();
        var command = new Command("remove", "Remove a member from the cluster by node id or Raft address.") { member };
        ClientCommand.Configure(command, context, globals, async run =>
        {
            var name = run.Get(member)!.Trim();
            var info = await run.Client.RemoveMemberAsync(name, run.CancellationToken).ConfigureAwait(false);
            if (!run.Output.IsJson)
            {
                run.Output.Line($"removed {name}");
            }

            PrintMembers(run.Output, info);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>What <c>cluster status</c> reports, computed from the membership.</summary>
    /// <param name="Leader">The leader's id, or <see langword="null"/> when there is none. A single node leads itself.</param>
    /// <param name="Healthy">How many members answered the status probe.</param>
    /// <param name="MaxLag">The largest known lag in log entries, or <see langword="null"/> when no member's lag is known.</param>
    /// <param name="UnknownLag">How many members' lag is unknown (they did not answer).</param>
    internal sealed record ClusterSummary(string? Leader, int Healthy, long? MaxLag, int UnknownLag);

    internal static ClusterSummary Summarize(ClusterInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var leader = info.LeaderId ?? (info.Clustered ? null : info.Self);
        var known = info.Members.Where(m => m.Lag >= 0).Select(m => m.Lag).ToArray();
        return new ClusterSummary(
            leader,
            info.Members.Count(m => m.Available),
            known.Length == 0 ? null : known.Max(),
            info.Members.Count(m => m.Lag < 0));
    }

    internal static void PrintMembers(CliOutput output, ClusterInfo info)
    {
        if (output.IsJson)
        {
            output.Json(ToJson(info));
            return;
        }

        var table = CliOutput.Table("ID", "ROLE", "RAFT", "HTTP", "GRPC", "AVAILABLE", "APPLIED", "LAG", "REVISION");
        foreach (var m in info.Members)
        {
            CliOutput.AddRow(
                table,
                m.Id,
                m.Role,
                Dash(m.RaftAddress),
                Dash(m.HttpAddress),
                Dash(m.GrpcAddress),
                m.Available ? "yes" : "no",
                N(m.AppliedIndex),
                m.Lag < 0 ? "?" : N(m.Lag),
                N(m.Revision));
        }

        var leader = Summarize(info).Leader ?? "none";
        var caption = string.Create(
            CultureInfo.InvariantCulture,
            $"{info.Members.Count} members, leader {leader}, term {info.Term}{(info.Self is null ? string.Empty : $", as seen by {info.Self}")}");
        table.Caption(new TableTitle(Markup.Escape(caption)));
        output.Render(table);
    }

    internal static void PrintStatus(CliOutput output, ClusterInfo info, ClusterSummary summary)
    {
        if (output.IsJson)
        {
            output.Json(new ClusterStatusJson(summary.Leader, info.Term, info.Members.Count, summary.Healthy, summary.MaxLag, info.Clustered, info.Self));
            return;
        }

        var maxLag = summary.MaxLag is { } lag ? N(lag) : "-";
        if (summary.UnknownLag > 0)
        {
            maxLag += string.Create(CultureInfo.InvariantCulture, $" ({summary.UnknownLag} unknown)");
        }

        output.Render(FieldTable.Create(
            ("leader", summary.Leader ?? "none"),
            ("term", N(info.Term)),
            ("members", N(info.Members.Count)),
            ("healthy", string.Create(CultureInfo.InvariantCulture, $"{summary.Healthy} of {info.Members.Count}")),
            ("max lag", maxLag),
            ("clustered", info.Clustered ? "yes" : "no (a single node)"),
            ("answered by", info.Self ?? "-")));
    }

    internal static ClusterJson ToJson(ClusterInfo info) => new(
        info.Clustered,
        info.Self,
        info.LeaderId,
        info.Term,
        info.Members.Select(m => new ClusterMemberJson(
            m.Id, m.RaftAddress, m.HttpAddress, m.GrpcAddress, m.Role, m.Available, m.AppliedIndex, m.CommitIndex, m.Lag, m.Revision, m.Term)).ToArray());

    private static string Dash(string value) => value.Length == 0 ? "-" : value;

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string N(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
