namespace Statehouse.Storage;

/// <summary>
/// The log on disk holds less than it is known to have held: it ends before the high-water index recorded in the
/// WAL manifest, starts after the recorded first index, or lacks the recorded newest segment. Records that were
/// acknowledged are gone (deleted or truncated files, a lost write), so <see cref="WriteAheadLog.Open"/> refuses
/// to start rather than serve — or, in a cluster, vote and acknowledge — with a shortened log.
/// </summary>
/// <remarks>
/// The operator restores the data folder from a backup, or wipes it and re-seeds the node from a replica; or, to
/// start anyway with what is left, opens with <see cref="WalOptions.AcceptDataLoss"/> (<c>--accept-wal-loss</c>).
/// </remarks>
public sealed class WalDataLossException : IOException
{
    /// <summary>What the operator can do, appended to every message.</summary>
    public const string Advice =
        "Restore the data folder from a backup; or, in a cluster, stop this node, wipe its data folder and re-seed it from a replica "
        + "(statehouse serve --join <member URL>); or, to start anyway with only what is left, restart with --accept-wal-loss.";

    /// <summary>Creates the exception.</summary>
    public WalDataLossException(string directory, string problem, long expectedFirstIndex, long expectedLastIndex, long foundFirstIndex,
        long foundLastIndex, IReadOnlyList<string> files)
        : base($"WAL data loss in {directory}: {problem} Acknowledged writes would be lost, so the node refuses to start. {Advice}")
    {
        Directory = directory;
        Problem = problem;
        ExpectedFirstIndex = expectedFirstIndex;
        ExpectedLastIndex = expectedLastIndex;
        FoundFirstIndex = foundFirstIndex;
        FoundLastIndex = foundLastIndex;
        Files = files;
    }

    /// <summary>The WAL directory.</summary>
    public string Directory { get; }

    /// <summary>What is missing, in words (names the files).</summary>
    public string Problem { get; }

    /// <summary>The log must start at or before this index.</summary>
    public long ExpectedFirstIndex { get; }

    /// <summary>The log must reach at least this index.</summary>
    public long ExpectedLastIndex { get; }

    /// <summary>First index of the log as found.</summary>
    public long FoundFirstIndex { get; }

    /// <summary>Last index of the log as found (after cutting a torn tail).</summary>
    public long FoundLastIndex { get; }

    /// <summary>The files involved (the manifest and the segments concerned).</summary>
    public IReadOnlyList<string> Files { get; }
}
