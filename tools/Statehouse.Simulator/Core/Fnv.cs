namespace Statehouse.Simulator.Core;

/// <summary>FNV-1a, 64 bits: the simulator's checksum for snapshots and its hash for log entries (fast, deterministic).</summary>
internal static class Fnv
{
    /// <summary>The FNV-1a offset basis.</summary>
    public const ulong Basis = 0xCBF29CE484222325UL;

    private const ulong Prime = 0x100000001B3UL;

    /// <summary>Hashes <paramref name="data"/> continuing from <paramref name="hash"/>.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data, ulong hash = Basis)
    {
        foreach (var b in data)
        {
            hash = (hash ^ b) * Prime;
        }

        return hash;
    }

    /// <summary>Mixes one 64-bit value into <paramref name="hash"/>.</summary>
    public static ulong Add(ulong hash, ulong value)
    {
        for (var i = 0; i < 8; i++)
        {
            hash = (hash ^ (value & 0xFF)) * Prime;
            value >>= 8;
        }

        return hash;
    }
}
