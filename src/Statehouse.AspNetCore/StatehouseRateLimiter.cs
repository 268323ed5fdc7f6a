using System.Globalization;
using System.Threading.RateLimiting;
using Statehouse.Client;

namespace Statehouse.AspNetCore;

/// <summary>The two window kinds of <see cref="StatehouseRateLimiter"/>.</summary>
public enum RateLimitWindow
{
    /// <summary>At most <see cref="StatehouseRateLimiterOptions.PermitLimit"/> per window; the count restarts at each window boundary.</summary>
    Fixed,

    /// <summary>
    /// The current window's count plus the previous window's, weighted by how much of it still overlaps the last
    /// <see cref="StatehouseRateLimiterOptions.Window"/>: no burst of twice the limit across a boundary.
    /// </summary>
    Sliding,
}

/// <summary>Settings of one <see cref="StatehouseRateLimiter"/> (one partition: a user, an API key, a route…).</summary>
public sealed class StatehouseRateLimiterOptions
{
    /// <summary>The partition this limiter counts for (part of the counter key).</summary>
    public required string Partition { get; init; }

    /// <summary>Permits per window (≥ 1).</summary>
    public required int PermitLimit { get; init; }

    /// <summary>The window (≥ 1 s).</summary>
    public required TimeSpan Window { get; init; }

    /// <summary>Fixed (default) or sliding.</summary>
    public RateLimitWindow Kind { get; init; } = RateLimitWindow.Fixed;

    /// <summary>Keyspace of the counters (default: the client's).</summary>
    public string? Keyspace { get; init; }

    /// <summary>Prefix of the counter keys (default <c>ratelimit/</c>).</summary>
    public string KeyPrefix { get; init; } = "ratelimit/";

    /// <summary>The clock (tests replace it).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>
/// A <see cref="RateLimiter"/> whose counts live in Statehouse, so every app instance shares one limit: each acquire
/// is one atomic transaction (increment this window's counter, read the previous window's). Plugs into ASP.NET Core's
/// rate limiting (<c>RateLimitPartition.Get(key, k =&gt; new StatehouseRateLimiter(client, new() { Partition = k, … }))</c>).
/// Acquiring needs a round trip, so <see cref="RateLimiter.AttemptAcquire"/> only answers for 0 permits; use
/// <see cref="RateLimiter.AcquireAsync"/> (the ASP.NET Core middleware does). A rejected request does not count.
/// Counters of windows two behind are deleted as new windows start.
/// </summary>
public sealed class StatehouseRateLimiter : RateLimiter
{
    private readonly StateClient _client;
    private readonly StatehouseRateLimiterOptions _options;
    private long _lastCleanedWindow = -1;
    private long _estimate;

    public StatehouseRateLimiter(StateClient client, StatehouseRateLimiterOptions options)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        ArgumentException.ThrowIfNullOrEmpty(options.Partition);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PermitLimit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Window, TimeSpan.FromSeconds(1));
    }

    /// <summary>Not known here (the counts live in the store): null, so partitioned limiters are never reaped as idle by mistake.</summary>
    public override TimeSpan? IdleDuration => null;

    public override RateLimiterStatistics? GetStatistics() => new() { CurrentAvailablePermits = Math.Max(0, _options.PermitLimit - Interlocked.Read(ref _estimate)) };

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        return permitCount == 0 ? Lease.Granted : Lease.Rejected("acquiring needs a round trip to Statehouse: use AcquireAsync", null);
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        if (permitCount > _options.PermitLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(permitCount), permitCount, $"More permits than the limit ({_options.PermitLimit}).");
        }

        if (permitCount == 0)
        {
            return Lease.Granted;
        }

        var nowMs = _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var windowMs = (long)_options.Window.TotalMilliseconds;
        var window = nowMs / windowMs;
        var current = Key(window);
        var result = await _client.Txn(_options.Keyspace)
            .Then(Op.Increment(current, permitCount, _options.Keyspace), Op.Get(Key(window - 1), _options.Keyspace))
            .CommitAsync(cancellationToken).ConfigureAwait(false);
        var count = result.Results[0].Increment!.Value;
        var previous = result.Results[1].Get?.Entry is { } entry && long.TryParse(entry.ValueAsString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var p) ? p : 0;
        var elapsed = (double)(nowMs - (window * windowMs)) / windowMs;
        var used = _options.Kind == RateLimitWindow.Sliding ? count + (long)Math.Floor(previous * (1 - elapsed)) : count;
        Interlocked.Exchange(ref _estimate, used);
        if (count == permitCount)
        {
            Clean(window);
        }

        if (used <= _options.PermitLimit)
        {
            return Lease.Granted;
        }

        // Over the limit: give the permits back so rejected requests do not count against later ones.
        await _client.IncrementAsync(current, -permitCount, _options.Keyspace, CancellationToken.None).ConfigureAwait(false);
        var retryAfter = _options.Kind == RateLimitWindow.Fixed
            ? TimeSpan.FromMilliseconds(((window + 1) * windowMs) - nowMs)
            : TimeSpan.FromMilliseconds(Math.Max(100, windowMs / Math.Max(1, _options.PermitLimit)));
        return Lease.Rejected("rate limit exceeded", retryAfter);
    }

    private string Key(long window) => $"{_options.KeyPrefix}{_options.Partition}/{window.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The first acquire of a window deletes the counter two windows back (fire and forget; a miss only leaves a small key).</summary>
    private void Clean(long window)
    {
        if (Interlocked.Exchange(ref _lastCleanedWindow, window) == window)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await _client.DeleteAsync(Key(window - 2), new DeleteOptions { Keyspace = _options.Keyspace }).ConfigureAwait(false);
            }
            catch (StatehouseException)
            {
            }
        });
    }

    /// <summary>A granted or rejected lease; a rejected one carries the reason and when to retry.</summary>
    private sealed class Lease(bool acquired, string? reason, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Granted = new(true, null, null);

        public static Lease Rejected(string reason, TimeSpan? retryAfter) => new(false, reason, retryAfter);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [MetadataName.ReasonPhrase.Name] : [MetadataName.ReasonPhrase.Name, MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (metadataName == MetadataName.RetryAfter.Name && retryAfter is { } after)
            {
                metadata = after;
                return true;
            }

            if (metadataName == MetadataName.ReasonPhrase.Name && reason is not null)
            {
                metadata = reason;
                return true;
            }

            metadata = null;
            return false;
        }
    }
}
