using Statehouse.Core.Model;

namespace Statehouse.Core.Codecs;

/// <summary>Binary encoding of <see cref="CommandResult"/>s, used to keep remembered idempotent answers in snapshots.</summary>
public static class ResultCodec
{
    private enum Tag : byte
    {
        Error = 1,
        Put = 2,
        Delete = 3,
        Increment = 4,
        Get = 5,
        Range = 6,
        Txn = 7,
        LeaseGrant = 8,
        LeaseRevoke = 9,
        LeaseExpire = 10,
        Compact = 11,
        CreateKeyspace = 12,
    }

    public static void Write(BinaryEncoder e, CommandResult result)
    {
        switch (result)
        {
            case ErrorResult r:
                e.WriteByte((byte)Tag.Error);
                e.WriteVarInt((long)r.Code);
                e.WriteString(r.Message);
                e.WriteVarInt(r.CurrentRevision);
                e.WriteVarInt(r.CompactRevision);
                break;
            case PutResult r:
                e.WriteByte((byte)Tag.Put);
                WriteNullableKv(e, r.Previous);
                e.WriteVarInt(r.Lease);
                break;
            case DeleteResult r:
                e.WriteByte((byte)Tag.Delete);
                e.WriteVarInt(r.Deleted);
                WriteKvs(e, r.Previous);
                break;
            case IncrementResult r:
                e.WriteByte((byte)Tag.Increment);
                e.WriteVarInt(r.Value);
                break;
            case GetResult r:
                e.WriteByte((byte)Tag.Get);
                WriteNullableKv(e, r.Kv);
                break;
            case RangeResult r:
                e.WriteByte((byte)Tag.Range);
                WriteKvs(e, r.Kvs);
                e.WriteVarInt(r.Count);
                e.WriteBool(r.More);
                e.WriteNullableBytes(r.LastKey);
                break;
            case TxnResult r:
                e.WriteByte((byte)Tag.Txn);
                e.WriteBool(r.Succeeded);
                e.WriteVarUInt((ulong)r.Results.Count);
                foreach (var inner in r.Results)
                {
                    Write(e, inner);
                }

                break;
            case LeaseGrantResult r:
                e.WriteByte((byte)Tag.LeaseGrant);
                e.WriteVarInt(r.LeaseId);
                e.WriteVarInt(r.TtlSeconds);
                break;
            case LeaseRevokeResult r:
                e.WriteByte((byte)Tag.LeaseRevoke);
                e.WriteVarInt(r.KeysDeleted);
                break;
            case LeaseExpireResult r:
                e.WriteByte((byte)Tag.LeaseExpire);
                e.WriteVarUInt((ulong)r.Expired.Count);
                foreach (var id in r.Expired)
                {
                    e.WriteVarInt(id);
                }

                e.WriteVarInt(r.KeysDeleted);
                break;
            case CompactResult r:
                e.WriteByte((byte)Tag.Compact);
                e.WriteVarInt(r.CompactRevision);
                break;
            case CreateKeyspaceResult r:
                e.WriteByte((byte)Tag.CreateKeyspace);
                CommandCodec.WriteKeyspaceConfig(e, r.Config);
                break;
            default:
                throw new ArgumentException($"Unknown result type {result.GetType().Name}.", nameof(result));
        }

        e.WriteVarInt(result.Revision);
    }

    public static CommandResult Read(ref BinaryDecoder d)
    {
        try
        {
            return ReadCore(ref d);
        }
        catch (Exception ex) when (ex is OverflowException or ArgumentException or InvalidCastException)
        {
            throw new FormatException($"Malformed result: {ex.Message}", ex);
        }
    }

    private static CommandResult ReadCore(ref BinaryDecoder d, bool nested = false)
    {
        var tag = (Tag)d.ReadByte();

        // A transaction's results never hold another transaction: refuse before recursing.
        if (nested && tag == Tag.Txn)
        {
            throw new FormatException("A transaction result holds another transaction result.");
        }

        CommandResult result;
        switch (tag)
        {
            case Tag.Error:
                var code = (ErrorCode)d.ReadVarInt();
                if (!Enum.IsDefined(code))
                {
                    throw new FormatException($"Unknown error code {(long)code}.");
                }

                result = new ErrorResult(code, d.ReadString()) { CurrentRevision = d.ReadVarInt(), CompactRevision = d.ReadVarInt() };
                break;
            case Tag.Put:
                result = new PutResult(ReadNullableKv(ref d), d.ReadVarInt());
                break;
            case Tag.Delete:
                result = new DeleteResult(d.ReadVarInt(), ReadKvs(ref d));
                break;
            case Tag.Increment:
                result = new IncrementResult(d.ReadVarInt());
                break;
            case Tag.Get:
                result = new GetResult(ReadNullableKv(ref d));
                break;
            case Tag.Range:
                result = new RangeResult(ReadKvs(ref d), d.ReadVarInt(), d.ReadBool(), d.ReadNullableBytes());
                break;
            case Tag.Txn:
                {
                    var succeeded = d.ReadBool();
                    var count = (int)Math.Min(d.ReadVarUInt(), int.MaxValue);
                    var inner = new List<CommandResult>(Math.Min(count, 1024));
                    for (var i = 0; i < count; i++)
                    {
                        inner.Add(ReadCore(ref d, nested: true));
                    }

                    result = new TxnResult(succeeded, inner);
                    break;
                }

            case Tag.LeaseGrant:
                result = new LeaseGrantResult(d.ReadVarInt(), d.ReadVarInt());
                break;
            case Tag.LeaseRevoke:
                result = new LeaseRevokeResult(d.ReadVarInt());
                break;
            case Tag.LeaseExpire:
                {
                    var count = (int)Math.Min(d.ReadVarUInt(), int.MaxValue);
                    var ids = new List<long>(Math.Min(count, 4096));
                    for (var i = 0; i < count; i++)
                    {
                        ids.Add(d.ReadVarInt());
                    }

                    result = new LeaseExpireResult(ids, d.ReadVarInt());
                    break;
                }

            case Tag.Compact:
                result = new CompactResult(d.ReadVarInt());
                break;
            case Tag.CreateKeyspace:
                result = new CreateKeyspaceResult(CommandCodec.ReadKeyspaceConfig(ref d));
                break;
            default:
                throw new FormatException($"Unknown result tag {(byte)tag}.");
        }

        return result with { Revision = d.ReadVarInt() };
    }

    internal static void WriteKv(BinaryEncoder e, KeyValue kv)
    {
        e.WriteBytes(kv.Key);
        e.WriteBytes(kv.Value);
        e.WriteVarInt(kv.CreateRevision);
        e.WriteVarInt(kv.ModRevision);
        e.WriteVarInt(kv.Version);
        e.WriteVarInt(kv.Lease);
    }

    internal static KeyValue ReadKv(ref BinaryDecoder d) =>
        new(d.ReadBytes(), d.ReadBytes(), d.ReadVarInt(), d.ReadVarInt(), d.ReadVarInt(), d.ReadVarInt());

    private static void WriteNullableKv(BinaryEncoder e, KeyValue? kv)
    {
        e.WriteBool(kv is not null);
        if (kv is not null)
        {
            WriteKv(e, kv);
        }
    }

    private static KeyValue? ReadNullableKv(ref BinaryDecoder d) => d.ReadBool() ? ReadKv(ref d) : null;

    private static void WriteKvs(BinaryEncoder e, IReadOnlyList<KeyValue> kvs)
    {
        e.WriteVarUInt((ulong)kvs.Count);
        foreach (var kv in kvs)
        {
            WriteKv(e, kv);
        }
    }

    private static List<KeyValue> ReadKvs(ref BinaryDecoder d)
    {
        var count = (int)Math.Min(d.ReadVarUInt(), int.MaxValue);
        var list = new List<KeyValue>(Math.Min(count, 4096));
        for (var i = 0; i < count; i++)
        {
            list.Add(ReadKv(ref d));
        }

        return list;
    }
}
