using System.Text;

namespace Statehouse.Client;

/// <summary>A selection of keys: one key, a prefix, or a half-open interval [start, end).</summary>
public readonly struct KeyRange
{
    private KeyRange(KeyRangeKind kind, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> end)
    {
        Kind = kind;
        Key = key;
        End = end;
    }

    /// <summary>How the range selects keys.</summary>
    public KeyRangeKind Kind { get; }

    /// <summary>The key, the prefix, or the inclusive start.</summary>
    public ReadOnlyMemory<byte> Key { get; }

    /// <summary>For <see cref="KeyRangeKind.Between"/>: the exclusive end; empty means the end of the keyspace.</summary>
    public ReadOnlyMemory<byte> End { get; }

    /// <summary>Every key of the keyspace.</summary>
    public static KeyRange All => new(KeyRangeKind.Prefix, ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty);

    /// <summary>Exactly one key.</summary>
    public static KeyRange Single(ReadOnlyMemory<byte> key) => new(KeyRangeKind.Single, key, ReadOnlyMemory<byte>.Empty);

    /// <summary>Exactly one key, UTF-8 encoded.</summary>
    public static KeyRange Single(string key) => Single(Utf8(key));

    /// <summary>Every key that starts with <paramref name="prefix"/>.</summary>
    public static KeyRange Prefix(ReadOnlyMemory<byte> prefix) => new(KeyRangeKind.Prefix, prefix, ReadOnlyMemory<byte>.Empty);

    /// <summary>Every key that starts with <paramref name="prefix"/>, UTF-8 encoded.</summary>
    public static KeyRange Prefix(string prefix) => Prefix(Utf8(prefix));

    /// <summary>The keys in [<paramref name="start"/>, <paramref name="end"/>); an empty end means the end of the keyspace.</summary>
    public static KeyRange Between(ReadOnlyMemory<byte> start, ReadOnlyMemory<byte> end) => new(KeyRangeKind.Between, start, end);

    /// <summary>The keys in [<paramref name="start"/>, <paramref name="end"/>), UTF-8 encoded; an empty end means the end of the keyspace.</summary>
    public static KeyRange Between(string start, string end) => Between(Utf8(start), Utf8(end));

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        KeyRangeKind.Single => $"key '{Encoding.UTF8.GetString(Key.Span)}'",
        KeyRangeKind.Prefix => $"prefix '{Encoding.UTF8.GetString(Key.Span)}'",
        _ => $"['{Encoding.UTF8.GetString(Key.Span)}', '{Encoding.UTF8.GetString(End.Span)}')",
    };

    private static byte[] Utf8(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Encoding.UTF8.GetBytes(value);
    }
}
