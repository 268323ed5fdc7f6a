using Google.Protobuf;
using Wire = Statehouse.V1;

namespace Statehouse.Client;

/// <summary>A key's value, which becomes a <see cref="Compare"/> with <c>==</c> or <c>!=</c>.</summary>
/// <remarks>The operators build conditions; they do not compare targets.</remarks>
public readonly struct ValueCompareTarget : IEquatable<ValueCompareTarget>
{
    private readonly ByteString _key;
    private readonly string? _keyspace;

    internal ValueCompareTarget(ByteString key, string? keyspace)
    {
        _key = key;
        _keyspace = keyspace;
    }

    /// <summary>Holds when the value equals the UTF-8 bytes of <paramref name="value"/>.</summary>
    public static Compare operator ==(ValueCompareTarget target, string value) => target.Is(Wire.Compare.Types.Op.Equal, ProtoConvert.Bytes(value));

    /// <summary>Holds when the value differs from the UTF-8 bytes of <paramref name="value"/>.</summary>
    public static Compare operator !=(ValueCompareTarget target, string value) => target.Is(Wire.Compare.Types.Op.NotEqual, ProtoConvert.Bytes(value));

    /// <summary>Holds when the value equals <paramref name="value"/>.</summary>
    public static Compare operator ==(ValueCompareTarget target, byte[] value) => target.Is(Wire.Compare.Types.Op.Equal, ProtoConvert.Bytes(value));

    /// <summary>Holds when the value differs from <paramref name="value"/>.</summary>
    public static Compare operator !=(ValueCompareTarget target, byte[] value) => target.Is(Wire.Compare.Types.Op.NotEqual, ProtoConvert.Bytes(value));

    /// <summary>Whether two targets name the same key.</summary>
    public bool Equals(ValueCompareTarget other) => _keyspace == other._keyspace && Equals(_key, other._key);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ValueCompareTarget other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_keyspace, _key);

    private Compare Is(Wire.Compare.Types.Op op, ByteString value) =>
        new(_key ?? ByteString.Empty, _keyspace, Wire.Compare.Types.Target.Value, op, value, 0);
}
