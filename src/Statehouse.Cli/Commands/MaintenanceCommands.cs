using System.CommandLine;
using System.Globalization;
using Statehouse.Client;

namespace Statehouse.Cli.Commands;

/// <summary><c>statehouse status</c>, <c>statehouse snapshot save</c> and <c>statehouse compact [REVISION]</c>.</summary>
internal static class MaintenanceCommands
{
    public static Command Status(CliContext context, GlobalOptions globals)
    {
        var command = new Command("status", "Show the node's revisions, indexes, sizes, leases and uptime.");
        ClientCommand.Configure(command, context, globals, async run =>
        {
            var status = await run.Client.StatusAsync(run.CancellationToken).ConfigureAwait(false);
            PrintStatus(run.Output, status);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Snapshot(CliContext context, GlobalOptions globals)
    {
        var snapshot = new Command("snapshot", "Snapshots of the node's state.");
        var save = new Command("save", "Make the node write a snapshot now; print its index, size, path (on the node) and duration.");
        ClientCommand.Configure(save, context, globals, async run =>
        {
            var info = await run.Client.SnapshotAsync(run.CancellationToken).ConfigureAwait(false);
            PrintSnapshot(run.Output, info);
            return ExitCodes.Success;
        });
        snapshot.Subcommands.Add(save);
        return snapshot;
    }

    public static Command Compact(CliContext context, GlobalOptions globals)
    {
        var revision = new Argument<long>("REVISION") { Description = "Discard history before this revision (default: the current revision).", Arity = ArgumentArity.ZeroOrOne }.AtLeast(1);
        var command = new Command("compact", "Discard history: reads and watches at older revisions then fail with Compacted.") { revision };
        ClientCommand.Configure(command, context, globals, async run =>
        {
            var result = await run.Client.CompactAsync(run.Get(revision), run.CancellationToken).ConfigureAwait(false);
            if (run.Output.IsJson)
            {
                run.Output.Json(new CompactJson(result.CompactRevision, result.Revision));
            }
            else
            {
                run.Output.Line(string.Create(CultureInfo.InvariantCulture, $"compacted up to revision {result.CompactRevision}"));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    internal static void PrintStatus(CliOutput output, StatusInfo s)
    {
        if (output.IsJson)
        {
            output.Json(new StatusJson(
                s.NodeId, s.Version, s.Revision, s.CompactRevision, s.AppliedIndex, s.CommitIndex, s.Keys, s.Bytes, s.Leases,
                (long)s.Uptime.TotalMilliseconds, s.SnapshotIndex, s.WalBytes, s.Leader, s.Term));
            return;
        }

        output.Render(FieldTable.Create(
            ("node", s.NodeId),
            ("version", s.Version),
            ("leader", s.Leader.Length == 0 ? "-" : s.Leader),
            ("term", N(s.Term)),
            ("revision", N(s.Revision)),
            ("compact revision", N(s.CompactRevision)),
            ("applied index", N(s.AppliedIndex)),
            ("commit index", N(s.CommitIndex)),
            ("keys", N(s.Keys)),
            ("bytes", Size(s.Bytes)),
            ("leases", N(s.Leases)),
            ("uptime", Duration(s.Uptime)),
            ("snapshot index", N(s.SnapshotIndex)),
            ("WAL bytes", Size(s.WalBytes))));
    }

    internal static void PrintSnapshot(CliOutput output, SnapshotInfo info)
    {
        if (output.IsJson)
        {
            output.Json(new SnapshotJson(info.Index, info.Revision, info.Bytes, info.Path, (long)info.Duration.TotalMilliseconds));
            return;
        }

        // Plain lines rather than a table: a table would wrap the long path, which must survive copy and paste.
        output.Fields(
            ("index", N(info.Index)),
            ("revision", N(info.Revision)),
            ("bytes", Size(info.Bytes)),
            ("path", info.Path),
            ("duration", string.Create(CultureInfo.InvariantCulture, $"{info.Duration.TotalMilliseconds:0} ms")));
    }

    /// <summary>An exact byte count, with a binary-prefixed size when it is large: <c>2048 (2.0 KiB)</c>.</summary>
    internal static string Size(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        if (bytes < 1024)
        {
            return N(bytes);
        }

        var value = (double)bytes;
        var unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{bytes} ({value:0.0} {units[unit]})");
    }

    /// <summary>A duration as <c>1d 2h 3m 4s</c>, leaving out leading zero units.</summary>
    internal static string Duration(TimeSpan duration)
    {
        if (duration < TimeSpan.FromSeconds(1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:0} ms");
        }

        var parts = new List<string>();
        if (duration.Days > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{duration.Days}d"));
        }

        if (parts.Count > 0 || duration.Hours > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{duration.Hours}h"));
        }

        if (parts.Count > 0 || duration.Minutes > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{duration.Minutes}m"));
        }

        parts.Add(string.Create(CultureInfo.InvariantCulture, $"{duration.Seconds}s"));
        return string.Join(' ', parts);
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string N(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
