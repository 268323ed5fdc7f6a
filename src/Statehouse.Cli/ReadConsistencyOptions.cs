using System.CommandLine;
using System.CommandLine.Parsing;
using Statehouse.Client;

namespace Statehouse.Cli;

/// <summary>
/// <c>--consistency</c>, <c>--max-staleness-ms</c> and <c>--min-revision</c> of the read commands (<c>get</c>, <c>list</c>).
/// </summary>
internal sealed class ReadConsistencyOptions
{
    /// <summary>The accepted <c>--consistency</c> values, in the order the help shows them.</summary>
    public static readonly IReadOnlyList<string> Names = ["linearizable", "session", "bounded", "eventual"];

    public ReadConsistencyOptions()
    {
        Consistency = new Option<string?>("--consistency")
        {
            Description = "How fresh the read must be: linearizable (default; sees every acknowledged write), session "
                + "(at least --min-revision), bounded (at most --max-staleness-ms behind the leader), eventual (any replica, as it is).",
            HelpName = "LEVEL",
        };
        Consistency.AcceptOnlyFromAmong([.. Names]);
        MaxStalenessMs = new Option<long?>("--max-staleness-ms")
        {
            Description = "With --consistency bounded: how far behind the leader the serving node may be (default: the server's bound).",
            HelpName = "MS",
        }.AtLeast(1);
        MinRevision = new Option<long?>("--min-revision")
        {
            Description = "With --consistency session, bounded or eventual: the serving node must have reached this revision (a session token, e.g. the revision a put printed).",
            HelpName = "N",
        }.AtLeast(1);
    }

    public Option<string?> Consistency { get; }

    public Option<long?> MaxStalenessMs { get; }

    public Option<long?> MinRevision { get; }

    /// <summary>Adds the options and their cross-checks to a read command.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Consistency);
        command.Options.Add(MaxStalenessMs);
        command.Options.Add(MinRevision);
        command.Validators.Add(Validate);
    }

    /// <summary>The consistency, staleness bound and session token the parsed options ask for.</summary>
    public (ReadConsistency? Consistency, TimeSpan? MaxStaleness, long MinRevision) Read(ClientInvocation run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var consistency = run.Get(Consistency) is { } name ? Parse(name) : (ReadConsistency?)null;
        var staleness = run.Get(MaxStalenessMs) is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
        return (consistency, staleness, run.Get(MinRevision) ?? 0);
    }

    /// <summary>The client's value for a <c>--consistency</c> name.</summary>
    public static ReadConsistency Parse(string name) => name.ToLowerInvariant() switch
    {
        "linearizable" => ReadConsistency.Linearizable,
        "session" => ReadConsistency.Session,
        "bounded" => ReadConsistency.Bounded,
        "eventual" => ReadConsistency.Eventual,
        _ => throw new CliUsageException($"--consistency must be one of {string.Join(", ", Names)}, not '{name}'."),
    };

    private void Validate(CommandResult result)
    {
        // An unknown level is reported by AcceptOnlyFromAmong; the checks below only look at known ones.
        var name = result.GetResult(Consistency) is { Tokens.Count: 1 } given ? given.Tokens[0].Value : null;
        if (name is not null && !Names.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        var consistency = name is null ? ReadConsistency.Linearizable : Parse(name);
        if (result.Given(MaxStalenessMs) && consistency != ReadConsistency.Bounded)
        {
            result.AddError("--max-staleness-ms needs --consistency bounded.");
        }

        if (result.Given(MinRevision) && consistency == ReadConsistency.Linearizable)
        {
            result.AddError("--min-revision needs --consistency session, bounded or eventual (a linearizable read already sees every write).");
        }
    }
}
