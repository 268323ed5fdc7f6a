namespace Statehouse.Client;

/// <summary>Exponential backoff with full jitter, for loops outside the Polly pipeline (watch reconnects, CAS loops, keep-alives).</summary>
internal static class Backoff
{
    /// <summary>A random delay in [0, min(max, base * 2^(attempt-1))]; attempt starts at 1.</summary>
    internal static TimeSpan Jittered(int attempt, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var exponent = Math.Min(attempt - 1, 30);
        var ceilingTicks = Math.Min(maxDelay.Ticks, baseDelay.Ticks * (1L << exponent));
        if (ceilingTicks <= 0)
        {
            return TimeSpan.Zero;
        }

        return TimeSpan.FromTicks(Random.Shared.NextInt64(ceilingTicks + 1));
    }
}
