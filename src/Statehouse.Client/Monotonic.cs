namespace Statehouse.Client;

/// <summary>A 64-bit value that only goes up, shared by threads (session tokens, "fresh through" marks).</summary>
internal static class Monotonic
{
    /// <summary>Raises <paramref name="target"/> to <paramref name="value"/> if it is higher; lock-free.</summary>
    public static void Raise(ref long target, long value)
    {
        var seen = Volatile.Read(ref target);

        // Terminates: a failed exchange means another thread raised it, so `seen` strictly grows toward `value`.
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
