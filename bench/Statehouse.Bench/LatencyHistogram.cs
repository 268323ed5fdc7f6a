using System.Diagnostics;
using System.Numerics;

namespace Statehouse.Bench;

/// <summary>
/// Log-linear latency histogram in nanoseconds (HdrHistogram-like): values below 128 ns are exact, above that each
/// power of two is split into 64 buckets, so a reported percentile is within 1/64 (1.6 %) of the true value.
/// Fixed size (2,304 counters), no allocation on <see cref="Record"/>; one per client, merged at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int ExactBelow = 128;
    private const int SubBuckets = 64;
    private const int MaxShift = 34; // values up to 2^41 ns (~36 min) are kept; larger ones are clamped.
    private const int BucketCount = ExactBelow + (MaxShift * SubBuckets);

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }

    public long MaxNs { get; private set; }

    public long MinNs { get; private set; } = long.MaxValue;

    public double SumNs { get; private set; }

    public static long TicksToNs(long ticks) => Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * (1e9 / Stopwatch.Frequency));

    public void Record(long ns)
    {
        if (ns < 0)
        {
            ns = 0;
        }

        _counts[Index(ns)]++;
        Count++;
        SumNs += ns;
        if (ns > MaxNs)
        {
            MaxNs = ns;
        }

        if (ns < MinNs)
        {
            MinNs = ns;
        }
    }

    public void Merge(LatencyHistogram other)
    {
        for (var i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        SumNs += other.SumNs;
        MaxNs = Math.Max(MaxNs, other.MaxNs);
        MinNs = Math.Min(MinNs, other.MinNs);
    }

    /// <summary>The value at quantile q (0..1) in milliseconds; NaN when empty. The maximum is exact.</summary>
    public double PercentileMs(double q)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        if (q >= 1)
        {
            return MaxNs / 1e6;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(q * Count));
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(Midpoint(i), MaxNs) / 1e6;
            }
        }

        return MaxNs / 1e6;
    }

    public double MeanMs => Count == 0 ? double.NaN : SumNs / Count / 1e6;

    /// <summary>Number of recorded values strictly above <paramref name="ns"/> (bucket resolution).</summary>
    public long CountAbove(long ns)
    {
        long n = 0;
        for (var i = Index(ns) + 1; i < BucketCount; i++)
        {
            n += _counts[i];
        }

        return n;
    }

    private static int Index(long ns)
    {
        if (ns < ExactBelow)
        {
            return (int)ns;
        }

        var msb = 63 - BitOperations.LeadingZeroCount((ulong)ns);
        var shift = msb - 6; // >= 1 since ns >= 128
        if (shift > MaxShift)
        {
            return BucketCount - 1;
        }

        var sub = (int)(ns >> shift); // 64..127
        return ExactBelow + ((shift - 1) * SubBuckets) + (sub - SubBuckets);
    }

    private static long Midpoint(int index)
    {
        if (index < ExactBelow)
        {
            return index;
        }

        var shift = ((index - ExactBelow) / SubBuckets) + 1;
        var sub = ((index - ExactBelow) % SubBuckets) + SubBuckets;
        var low = (long)sub << shift;
        var high = ((long)(sub + 1) << shift) - 1;
        return low + ((high - low) / 2);
    }
}
