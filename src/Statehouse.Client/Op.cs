using Google.Protobuf;
using Wire = Statehouse.V1;

namespace Statehouse.Client;

/// <summary>One operation of a transaction or an atomic batch, e.g. <c>Op.Put("k", "v")</c>.</summary>
public sealed class Op
{
    private readonly Wire.TxnOp _proto;

    private Op(TxnOpKind kind, string? keyspace, Wire.TxnOp proto)
    {
        Kind = kind;
        Keyspace = keyspace;
        _proto = proto;
    }

    /// <summary>What the operation does.</summary>
    public TxnOpKind Kind { get; }

    /// <summary>The keyspace; <see langword="null"/> means the transaction's keyspace.</summary>
    public string? Keyspace { get; }

    /// <summary>Puts a UTF-8 value under a UTF-8 key.</summary>
    public static Op Put(string key, string value, PutOptions? options = null) =>
        PutCore(ProtoConvert.Bytes(key), ProtoConvert.Bytes(value), options);

    /// <summary>Puts a value under a UTF-8 key.</summary>
    public static Op Put(string key, ReadOnlyMemory<byte> value, PutOptions? options = null) =>
        PutCore(ProtoConvert.Bytes(key), ProtoConvert.Bytes(value), options);

    /// <summary>Puts a value under a key.</summary>
    public static Op Put(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, PutOptions? options = null) =>
        PutCore(ProtoConvert.Bytes(key), ProtoConvert.Bytes(value), options);

    /// <summary>Deletes one key.</summary>
    public static Op Delete(string key, DeleteOptions? options = null) => Delete(KeyRange.Single(key), options);

    /// <summary>Deletes one key.</summary>
    public static Op Delete(ReadOnlyMemory<byte> key, DeleteOptions? options = null) => Delete(KeyRange.Single(key), options);

    /// <summary>Deletes a key, a prefix or a range.</summary>
    public static Op Delete(KeyRange range, DeleteOptions? options = null) =>
        new(TxnOpKind.Delete, options?.Keyspace, new Wire.TxnOp { Delete = ProtoConvert.DeleteRequest(string.Empty, range, options) });

    /// <summary>Reads one key.</summary>
    public static Op Get(string key, string? keyspace = null) => GetCore(ProtoConvert.Bytes(key), keyspace);

    /// <summary>Reads one key.</summary>
    public static Op Get(ReadOnlyMemory<byte> key, string? keyspace = null) => GetCore(ProtoConvert.Bytes(key), keyspace);

    /// <summary>Reads a range.</summary>
    public static Op Range(KeyRange range, RangeOptions? options = null) =>
        new(TxnOpKind.Range, options?.Keyspace, new Wire.TxnOp { Range = ProtoConvert.RangeRequest(string.Empty, range, options) });

    /// <summary>Adds <paramref name="delta"/> to a counter.</summary>
    public static Op Increment(string key, long delta = 1, string? keyspace = null) => IncrementCore(ProtoConvert.Bytes(key), delta, keyspace);

    /// <summary>Adds <paramref name="delta"/> to a counter.</summary>
    public static Op Increment(ReadOnlyMemory<byte> key, long delta = 1, string? keyspace = null) => IncrementCore(ProtoConvert.Bytes(key), delta, keyspace);

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {_proto}";

    /// <summary>The wire form, with the keyspace filled in. Request ids stay empty: the transaction carries one.</summary>
    internal Wire.TxnOp ToProto(string defaultKeyspace)
    {
        var op = _proto.Clone();
        var keyspace = Keyspace ?? defaultKeyspace;
        switch (op.OpCase)
        {
            case Wire.TxnOp.OpOneofCase.Put:
                op.Put.Keyspace = keyspace;
                break;
            case Wire.TxnOp.OpOneofCase.Delete:
                op.Delete.Keyspace = keyspace;
                break;
            case Wire.TxnOp.OpOneofCase.Get:
                op.Get.Keyspace = keyspace;
                break;
            case Wire.TxnOp.OpOneofCase.Increment:
                op.Increment.Keyspace = keyspace;
                break;
            case Wire.TxnOp.OpOneofCase.Range:
                op.Range.Keyspace = keyspace;
                break;
            default:
                throw new InvalidOperationException("A transaction operation carries no request.");
        }

        return op;
    }

    private static Op PutCore(ByteString key, ByteString value, PutOptions? options) =>
        new(TxnOpKind.Put, options?.Keyspace, new Wire.TxnOp { Put = ProtoConvert.PutRequest(string.Empty, key, value, options) });

    private static Op GetCore(ByteString key, string? keyspace) =>
        new(TxnOpKind.Get, keyspace, new Wire.TxnOp { Get = new Wire.GetRequest { Key = key } });

    private static Op IncrementCore(ByteString key, long delta, string? keyspace) =>
        new(TxnOpKind.Increment, keyspace, new Wire.TxnOp { Increment = new Wire.IncrementRequest { Key = key, Delta = delta } });
}
