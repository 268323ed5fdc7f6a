namespace Statehouse.Simulator.Core;

/// <summary>The independent random streams of one run; each is derived from the run's seed and its own coordinates.</summary>
internal enum StreamKind : ulong
{
    /// <summary>The run's parameters (cluster options, fault mix, network and disk profiles).</summary>
    Config = 1,

    /// <summary>The fault schedule.</summary>
    Faults,

    /// <summary>Per-message delay, loss and duplication.</summary>
    Network,

    /// <summary>One node's disk latencies.</summary>
    Disk,

    /// <summary>One core's election timeouts (per node, group, member id and incarnation).</summary>
    Core,

    /// <summary>One client's operations and think times.</summary>
    Client,

    /// <summary>One host's own choices (how many inputs it takes before a Ready).</summary>
    Host,

    /// <summary>Replies between clients and nodes.</summary>
    ClientNetwork,
}

/// <summary>
/// Derives seeds for independent <see cref="Random"/> streams (SplitMix64 finalizer), so that a change in one stream's
/// consumption (a fault removed, a message more) does not shift any other stream.
/// </summary>
/// <remarks>Never uses <see cref="HashCode"/>: its seed differs per process, and a replay must match across processes.</remarks>
internal static class Seeds
{
    /// <summary>The SplitMix64 finalizer: a bijective, well-mixing function on 64 bits.</summary>
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>A 32-bit seed for the stream <paramref name="kind"/> at coordinates (<paramref name="a"/>, <paramref name="b"/>, <paramref name="c"/>).</summary>
    public static int Derive(long seed, StreamKind kind, ulong a = 0, ulong b = 0, ulong c = 0)
    {
        var x = Mix((ulong)seed);
        x = Mix(x ^ (ulong)kind);
        x = Mix(x ^ a);
        x = Mix(x ^ (b * 0x100000001B3UL));
        x = Mix(x ^ (c * 0xC2B2AE3D27D4EB4FUL));
        return (int)(x & 0x7FFFFFFF);
    }

    /// <summary>A new stream (System.Random with an explicit seed is the same sequence on every run and platform).</summary>
    public static Random Stream(long seed, StreamKind kind, ulong a = 0, ulong b = 0, ulong c = 0) => new(Derive(seed, kind, a, b, c));
}
