using System.Globalization;
using Statehouse.Core;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Cluster;

/// <summary>How fresh a read must be (docs/cluster.md, "Reads per request").</summary>
public enum ReadConsistency
{
    /// <summary>Sees every write acknowledged before the read started (default).</summary>
    Linearizable,

    /// <summary>Any replica at or past the client's session token (read-your-writes, monotonic reads).</summary>
    Session,

    /// <summary>Any replica at most a given time behind the leader.</summary>
    Bounded,

    /// <summary>Any replica, as it is.</summary>
    Eventual,
}

/// <summary>A read's freshness requirement, from gRPC <c>ReadOptions</c> or HTTP query/headers.</summary>
public readonly record struct ReadRequirement(ReadConsistency Consistency, long MinRevision, long MaxStalenessMs)
{
    /// <summary>HTTP header carrying the session token (a revision) in and out.</summary>
    public const string SessionHeader = "Statehouse-Session";

    /// <summary>The default: linearizable.</summary>
    public static ReadRequirement Default => new(ReadConsistency.Linearizable, 0, 0);

    /// <summary>From the proto (absent = linearizable).</summary>
    public static ReadRequirement From(V1.ReadOptions? read)
    {
        if (read is null)
        {
            return Default;
        }

        if (read.MinRevision < 0 || read.MaxStalenessMs < 0)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "min_revision and max_staleness_ms must not be negative.");
        }

        var consistency = read.Consistency switch
        {
            V1.ReadConsistency.Unspecified or V1.ReadConsistency.Linearizable => ReadConsistency.Linearizable,
            V1.ReadConsistency.Session => ReadConsistency.Session,
            V1.ReadConsistency.Bounded => ReadConsistency.Bounded,
            V1.ReadConsistency.Eventual => ReadConsistency.Eventual,
            _ => throw new StatehouseException(ErrorCode.InvalidArgument, $"Unknown read consistency {(int)read.Consistency}."),
        };
        return new ReadRequirement(consistency, read.MinRevision, read.MaxStalenessMs);
    }

    /// <summary>From <c>?consistency=…&amp;maxStalenessMs=…</c> and the <see cref="SessionHeader"/> header.</summary>
    public static ReadRequirement FromHttp(string? consistency, string? maxStalenessMs, string? session)
    {
        var level = string.IsNullOrEmpty(consistency) ? ReadConsistency.Linearizable : consistency.ToLowerInvariant() switch
        {
            "linearizable" or "strong" => ReadConsistency.Linearizable,
            "session" => ReadConsistency.Session,
            "bounded" => ReadConsistency.Bounded,
            "eventual" => ReadConsistency.Eventual,
            _ => throw new StatehouseException(ErrorCode.InvalidArgument, $"consistency must be linearizable, session, bounded or eventual; got '{consistency}'."),
        };
        return new ReadRequirement(level, ParseNonNegative(session, SessionHeader), ParseNonNegative(maxStalenessMs, "maxStalenessMs"));
    }

    private static long ParseNonNegative(string? text, string name)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new StatehouseException(ErrorCode.InvalidArgument, $"{name} must be a non-negative integer; got '{text}'.");
    }
}
