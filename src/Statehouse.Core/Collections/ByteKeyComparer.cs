namespace Statehouse.Core.Collections;

/// <summary>Orders keys as unsigned byte strings (memcmp order), the order ranges and prefixes use.</summary>
public sealed class ByteKeyComparer : IComparer<byte[]>, IEqualityComparer<byte[]>
{
    /// <summary>The one instance.</summary>
    public static ByteKeyComparer Instance { get; } = new();

    /// <inheritdoc />
    public int Compare(byte[]? x, byte[]? y) => ((ReadOnlySpan<byte>)x).SequenceCompareTo(y);

    /// <inheritdoc />
    public bool Equals(byte[]? x, byte[]? y) => ((ReadOnlySpan<byte>)x).SequenceEqual(y);

    /// <inheritdoc />
    public int GetHashCode(byte[] obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }

    /// <summary>The smallest key greater than every key starting with <paramref name="prefix"/>, or null when there is none (all 0xFF).</summary>
    public static byte[]? PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] != 0xFF)
            {
                var end = prefix[..(i + 1)].ToArray();
                end[i]++;
                return end;
            }
        }

        return null;
    }
}
