namespace Statehouse.Core;

/// <summary>Every size and count limit the state machine enforces. All are configurable per node; keyspaces may lower key/value sizes.</summary>
/// <remarks>The limits that <c>Apply</c> enforces are part of the replicated state's behaviour: every replica must run with the same values.</remarks>
public sealed record StoreLimits
{
    /// <summary>Default largest key, 4 KiB.</summary>
    public int MaxKeyBytes { get; init; } = 4 * 1024;

    /// <summary>Default largest value, 1 MiB.</summary>
    public int MaxValueBytes { get; init; } = 1024 * 1024;

    /// <summary>Most operations in one transaction or batch (then + else branches counted separately).</summary>
    public int MaxTxnOps { get; init; } = 128;

    /// <summary>Most compares in one transaction.</summary>
    public int MaxTxnCompares { get; init; } = 128;

    /// <summary>Largest page a range returns; requests above it are clamped.</summary>
    public int MaxRangeLimit { get; init; } = 10_000;

    /// <summary>Page size when a range asks for none.</summary>
    public int DefaultRangeLimit { get; init; } = 1_000;

    /// <summary>Most keys a single range delete may remove (bounds one log entry's apply time).</summary>
    public int MaxDeleteRangeKeys { get; init; } = 100_000;

    /// <summary>Longest keyspace name.</summary>
    public int MaxKeyspaceNameLength { get; init; } = 64;

    /// <summary>Most keyspaces.</summary>
    public int MaxKeyspaces { get; init; } = 1_000;

    /// <summary>Longest lease TTL, in seconds.</summary>
    public long MaxLeaseTtlSeconds { get; init; } = 30L * 24 * 3600;

    /// <summary>Most live leases.</summary>
    public int MaxLeases { get; init; } = 1_000_000;

    /// <summary>Longest idempotency request id.</summary>
    public int MaxRequestIdLength { get; init; } = 128;

    /// <summary>How long an applied request id is remembered, measured in leader time.</summary>
    public long IdempotencyWindowMs { get; init; } = 10 * 60 * 1000;

    /// <summary>Most request ids remembered; the oldest are forgotten first.</summary>
    public int IdempotencyMaxEntries { get; init; } = 200_000;

    /// <summary>The defaults.</summary>
    public static StoreLimits Default { get; } = new();
}
