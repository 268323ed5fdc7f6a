using Google.Protobuf;
using Wire = Statehouse.V1;

namespace Statehouse.Client;

/// <summary>
/// A numeric property of a key (version, mod revision, create revision, lease) that becomes a <see cref="Compare"/>
/// with <c>==</c>, <c>!=</c>, <c>&lt;</c> or <c>&gt;</c>.
/// </summary>
/// <remarks>The operators build conditions; they do not compare targets, so <c>==</c> returns a <see cref="Compare"/>, not a bool.</remarks>
public readonly struct CompareTarget : IEquatable<CompareTarget>
{
    private readonly ByteString _key;
    private readonly string? _keyspace;
    private readonly Wire.Compare.Types.Target _target;

    internal CompareTarget(ByteString key, string? keyspace, Wire.Compare.Types.Target target)
    {
        _key = key;
        _keyspace = keyspace;
        _target = target;
    }

    /// <summary>Holds when the property equals <paramref name="number"/>.</summary>
    public static Compare operator ==(CompareTarget target, long number) => target.Is(Wire.Compare.Types.Op.Equal, number);

    /// <summary>Holds when the property differs from <paramref name="number"/>.</summary>
    public static Compare operator !=(CompareTarget target, long number) => target.Is(Wire.Compare.Types.Op.NotEqual, number);

    /// <summary>Holds when the property is less than <paramref name="number"/>.</summary>
    public static Compare operator <(CompareTarget target, long number) => target.Is(Wire.Compare.Types.Op.Less, number);

    /// <summary>Holds when the property is greater than <paramref name="number"/>.</summary>
    public static Compare operator >(CompareTarget target, long number) => target.Is(Wire.Compare.Types.Op.Greater, number);

    /// <summary>Whether two targets name the same property of the same key.</summary>
    public bool Equals(CompareTarget other) =>
        _target == other._target && _keyspace == other._keyspace && Equals(_key, other._key);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is CompareTarget other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_target, _keyspace, _key);

    private Compare Is(Wire.Compare.Types.Op op, long number) =>
        new(_key ?? ByteString.Empty, _keyspace, _target, op, ByteString.Empty, number);
}
