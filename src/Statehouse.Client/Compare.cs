using Google.Protobuf;
using Wire = Statehouse.V1;

namespace Statehouse.Client;

/// <summary>
/// One condition of a transaction, e.g. <c>Compare.ModRevision("k") == 5</c> or <c>Compare.Exists("k")</c>.
/// </summary>
public sealed class Compare
{
    private readonly ByteString _key;
    private readonly Wire.Compare.Types.Target _target;
    private readonly Wire.Compare.Types.Op _op;
    private readonly ByteString _value;
    private readonly long _number;

    internal Compare(ByteString key, string? keyspace, Wire.Compare.Types.Target target, Wire.Compare.Types.Op op, ByteString value, long number)
    {
        _key = key;
        Keyspace = keyspace;
        _target = target;
        _op = op;
        _value = value;
        _number = number;
    }

    /// <summary>The keyspace; <see langword="null"/> means the transaction's keyspace.</summary>
    public string? Keyspace { get; }

    /// <summary>Compares the key's version (0 when absent).</summary>
    public static CompareTarget Version(string key, string? keyspace = null) => new(ProtoConvert.Bytes(key), keyspace, Wire.Compare.Types.Target.Version);

    /// <summary>Compares the key's version (0 when absent).</summary>
    public static CompareTarget Version(ReadOnlyMemory<byte> key, string? keyspace = null) => new(ProtoConvert.Bytes(key), keyspace, Wire.Compare.Types.Target.Version);

    /// <summary>Compares the key's mod revision: its ETag (0 when absent).</summary>
    public static CompareTarget ModRevision(string key, string? keyspace = null) => new(ProtoConvert.Bytes(key), keyspace, Wire.Compare.Types.Target.ModRevision);

    /// <summary>Compares the key's mod revision: its ETag (0 when absent).</summary>
    public static CompareTarget ModRevision(ReadOnlyMemory<byte> key, string? keyspace = null) => new(ProtoConvert.Bytes(key), keyspace, Wire.Compare.Types.Target.ModRevision);

    /// <summary>Compares the key's create revision (0 when absent).</summary>
    public static CompareTarget CreateRevision(string key, string? keyspace = null) => new(ProtoConvert.Bytes(key), keyspace, Wire.Compare.Types.Target.CreateRevision);

    /// <summary>Compares the key's create revision (0 when absent).</summary>
    public static CompareTarget CreateRevision(ReadOnlyMemory<byte> key, string? keyspace = null) => new(ProtoConvert.Bytes(key), keyspace, Wire.Compare.Types.Target.CreateRevision);

    /// <summary>Compares the lease the key is attached to (0 for none).</summary>
    public static CompareTarget Lease(string key, string? keyspace = null) => new(ProtoConvert.Bytes(key), keyspace, Wire.Compare.Types.Target.Lease);

    /// <summary>Compares the lease the key is attached to (0 for none).</summary>
    public static CompareTarget Lease(ReadOnlyMemory<byte> key, string? keyspace = null) => new(ProtoConvert.Bytes(key), keyspace, Wire.Compare.Types.Target.Lease);

    /// <summary>Compares the key's value byte for byte.</summary>
    public static ValueCompareTarget Value(string key, string? keyspace = null) => new(ProtoConvert.Bytes(key), keyspace);

    /// <summary>Compares the key's value byte for byte.</summary>
    public static ValueCompareTarget Value(ReadOnlyMemory<byte> key, string? keyspace = null) => new(ProtoConvert.Bytes(key), keyspace);

    /// <summary>Holds when the key exists.</summary>
    public static Compare Exists(string key, string? keyspace = null) => ExistsCore(ProtoConvert.Bytes(key), keyspace, exists: true);

    /// <summary>Holds when the key exists.</summary>
    public static Compare Exists(ReadOnlyMemory<byte> key, string? keyspace = null) => ExistsCore(ProtoConvert.Bytes(key), keyspace, exists: true);

    /// <summary>Holds when the key does not exist.</summary>
    public static Compare Absent(string key, string? keyspace = null) => ExistsCore(ProtoConvert.Bytes(key), keyspace, exists: false);

    /// <summary>Holds when the key does not exist.</summary>
    public static Compare Absent(ReadOnlyMemory<byte> key, string? keyspace = null) => ExistsCore(ProtoConvert.Bytes(key), keyspace, exists: false);

    /// <inheritdoc />
    public override string ToString() =>
        _target == Wire.Compare.Types.Target.Value
            ? $"value({ProtoConvert.Describe(_key)}) {_op} <{_value.Length} bytes>"
            : $"{_target}({ProtoConvert.Describe(_key)}) {_op} {_number}";

    internal Wire.Compare ToProto(string defaultKeyspace) => new()
    {
        Keyspace = Keyspace ?? defaultKeyspace,
        Key = _key,
        Target = _target,
        Op = _op,
        Value = _value,
        Number = _number,
    };

    private static Compare ExistsCore(ByteString key, string? keyspace, bool exists) =>
        new(key, keyspace, Wire.Compare.Types.Target.Exists, Wire.Compare.Types.Op.Equal, ByteString.Empty, exists ? 1 : 0);
}
