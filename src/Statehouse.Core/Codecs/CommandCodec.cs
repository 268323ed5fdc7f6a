using System.Buffers;
using Statehouse.Core.Model;

namespace Statehouse.Core.Codecs;

/// <summary>
/// The binary, versioned encoding of a log entry's <see cref="CommandBatch"/>.
/// Layout: format version byte, timestamp (int64), command count (varint), then each command as a tag byte and its fields.
/// </summary>
public static class CommandCodec
{
    /// <summary>The format this build writes; the decoder accepts it and refuses newer ones.</summary>
    public const byte FormatVersion = 1;

    private enum Tag : byte
    {
        Put = 1,
        Delete = 2,
        Increment = 3,
        Get = 4,
        Range = 5,
        Txn = 6,
        LeaseGrant = 7,
        LeaseRevoke = 8,
        LeaseExpire = 9,
        Compact = 10,
        CreateKeyspace = 11,
    }

    /// <summary>Encodes a batch.</summary>
    public static void Encode(CommandBatch batch, IBufferWriter<byte> output)
    {
        var e = new BinaryEncoder(output);
        e.WriteByte(FormatVersion);
        e.WriteInt64(batch.TimestampMs);
        e.WriteVarUInt((ulong)batch.Commands.Count);
        foreach (var command in batch.Commands)
        {
            WriteCommand(e, command);
        }
    }

    /// <summary>Encodes a batch into a new array.</summary>
    public static byte[] Encode(CommandBatch batch)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Encode(batch, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a batch; throws <see cref="FormatException"/> on malformed input.</summary>
    public static CommandBatch Decode(ReadOnlySpan<byte> input)
    {
        try
        {
            return DecodeCore(input);
        }
        catch (Exception ex) when (ex is OverflowException or ArgumentException or InvalidCastException)
        {
            throw new FormatException($"Malformed command batch: {ex.Message}", ex);
        }
    }

    private static CommandBatch DecodeCore(ReadOnlySpan<byte> input)
    {
        var d = new BinaryDecoder(input);
        var version = d.ReadByte();
        if (version != FormatVersion)
        {
            throw new FormatException($"Unsupported command format version {version}.");
        }

        var timestamp = d.ReadInt64();
        var count = (int)Math.Min(d.ReadVarUInt(), int.MaxValue);
        var commands = new List<Command>(Math.Min(count, 4096));
        for (var i = 0; i < count; i++)
        {
            commands.Add(ReadCommand(ref d));
        }

        if (!d.End)
        {
            throw new FormatException("Trailing bytes after the command batch.");
        }

        return new CommandBatch(timestamp, commands);
    }

    internal static void WriteCommand(BinaryEncoder e, Command command)
    {
        switch (command)
        {
            case PutCommand p:
                e.WriteByte((byte)Tag.Put);
                e.WriteString(p.Keyspace);
                e.WriteBytes(p.Key);
                e.WriteBytes(p.Value);
                WritePrecondition(e, p.Precondition);
                e.WriteVarInt(p.Lease);
                e.WriteVarInt(p.TtlSeconds);
                e.WriteBool(p.ReturnPrevious);
                break;
            case DeleteCommand d:
                e.WriteByte((byte)Tag.Delete);
                e.WriteString(d.Keyspace);
                e.WriteBytes(d.Key);
                e.WriteNullableBytes(d.RangeEnd);
                e.WriteBool(d.Prefix);
                WritePrecondition(e, d.Precondition);
                e.WriteBool(d.ReturnPrevious);
                break;
            case IncrementCommand inc:
                e.WriteByte((byte)Tag.Increment);
                e.WriteString(inc.Keyspace);
                e.WriteBytes(inc.Key);
                e.WriteVarInt(inc.Delta);
                break;
            case GetOperation g:
                e.WriteByte((byte)Tag.Get);
                e.WriteString(g.Keyspace);
                e.WriteBytes(g.Key);
                break;
            case RangeOperation r:
                e.WriteByte((byte)Tag.Range);
                e.WriteString(r.Keyspace);
                WriteRange(e, r.Query);
                break;
            case TxnCommand t:
                e.WriteByte((byte)Tag.Txn);
                e.WriteVarUInt((ulong)t.Compares.Count);
                foreach (var c in t.Compares)
                {
                    e.WriteString(c.Keyspace);
                    e.WriteBytes(c.Key);
                    e.WriteByte((byte)c.Target);
                    e.WriteByte((byte)c.Op);
                    e.WriteNullableBytes(c.Value);
                    e.WriteVarInt(c.Number);
                }

                WriteOps(e, t.Success);
                WriteOps(e, t.Failure);
                break;
            case LeaseGrantCommand lg:
                e.WriteByte((byte)Tag.LeaseGrant);
                e.WriteVarInt(lg.LeaseId);
                e.WriteVarInt(lg.TtlSeconds);
                break;
            case LeaseRevokeCommand lr:
                e.WriteByte((byte)Tag.LeaseRevoke);
                e.WriteVarInt(lr.LeaseId);
                break;
            case LeaseExpireCommand le:
                e.WriteByte((byte)Tag.LeaseExpire);
                e.WriteVarUInt((ulong)le.LeaseIds.Count);
                foreach (var id in le.LeaseIds)
                {
                    e.WriteVarInt(id);
                }

                break;
            case CompactCommand cc:
                e.WriteByte((byte)Tag.Compact);
                e.WriteVarInt(cc.Revision);
                break;
            case CreateKeyspaceCommand ck:
                e.WriteByte((byte)Tag.CreateKeyspace);
                WriteKeyspaceConfig(e, ck.Config);
                break;
            default:
                throw new ArgumentException($"Unknown command type {command.GetType().Name}.", nameof(command));
        }

        // Every command carries its idempotency key last, so the tag switch above stays about fields.
        e.WriteNullableString(command.RequestId);
    }

    internal static Command ReadCommand(ref BinaryDecoder d, bool nested = false)
    {
        var tag = (Tag)d.ReadByte();

        // Checked before reading on: crafted input must not recurse through nested transactions until the stack ends.
        if (nested && tag is not (Tag.Put or Tag.Delete or Tag.Increment or Tag.Get or Tag.Range))
        {
            throw new FormatException("A transaction holds a non-transactional command.");
        }

        Command command = tag switch
        {
            Tag.Put => new PutCommand(d.ReadString(), d.ReadBytes(), d.ReadBytes())
            {
                Precondition = ReadPrecondition(ref d),
                Lease = d.ReadVarInt(),
                TtlSeconds = d.ReadVarInt(),
                ReturnPrevious = d.ReadBool(),
            },
            Tag.Delete => new DeleteCommand(d.ReadString(), d.ReadBytes())
            {
                RangeEnd = d.ReadNullableBytes(),
                Prefix = d.ReadBool(),
                Precondition = ReadPrecondition(ref d),
                ReturnPrevious = d.ReadBool(),
            },
            Tag.Increment => new IncrementCommand(d.ReadString(), d.ReadBytes(), d.ReadVarInt()),
            Tag.Get => new GetOperation(d.ReadString(), d.ReadBytes()),
            Tag.Range => new RangeOperation(d.ReadString(), ReadRange(ref d)),
            Tag.Txn => ReadTxn(ref d),
            Tag.LeaseGrant => new LeaseGrantCommand(d.ReadVarInt(), d.ReadVarInt()),
            Tag.LeaseRevoke => new LeaseRevokeCommand(d.ReadVarInt()),
            Tag.LeaseExpire => ReadLeaseExpire(ref d),
            Tag.Compact => new CompactCommand(d.ReadVarInt()),
            Tag.CreateKeyspace => new CreateKeyspaceCommand(ReadKeyspaceConfig(ref d)),
            _ => throw new FormatException($"Unknown command tag {(byte)tag}."),
        };
        return command with { RequestId = d.ReadNullableString() };
    }

    internal static void WriteKeyspaceConfig(BinaryEncoder e, KeyspaceConfig config)
    {
        e.WriteString(config.Name);
        e.WriteVarInt(config.MaxKeyBytes);
        e.WriteVarInt(config.MaxValueBytes);
        e.WriteVarInt(config.MaxKeys);
    }

    internal static KeyspaceConfig ReadKeyspaceConfig(ref BinaryDecoder d) =>
        new(d.ReadString(), checked((int)d.ReadVarInt()), checked((int)d.ReadVarInt()), d.ReadVarInt());

    private static void WriteOps(BinaryEncoder e, IReadOnlyList<TxnOperation> ops)
    {
        e.WriteVarUInt((ulong)ops.Count);
        foreach (var op in ops)
        {
            WriteCommand(e, op);
        }
    }

    private static List<TxnOperation> ReadOps(ref BinaryDecoder d)
    {
        var count = (int)Math.Min(d.ReadVarUInt(), int.MaxValue);
        var ops = new List<TxnOperation>(Math.Min(count, 1024));
        for (var i = 0; i < count; i++)
        {
            ops.Add(ReadCommand(ref d, nested: true) as TxnOperation ?? throw new FormatException("A transaction holds a non-transactional command."));
        }

        return ops;
    }

    private static TxnCommand ReadTxn(ref BinaryDecoder d)
    {
        var count = (int)Math.Min(d.ReadVarUInt(), int.MaxValue);
        var compares = new List<Compare>(Math.Min(count, 1024));
        for (var i = 0; i < count; i++)
        {
            var compare = new Compare(d.ReadString(), d.ReadBytes(), (CompareTarget)d.ReadByte(), (CompareOp)d.ReadByte(), d.ReadNullableBytes(), d.ReadVarInt());
            if (!Enum.IsDefined(compare.Target) || !Enum.IsDefined(compare.Op))
            {
                throw new FormatException("Unknown compare target or operator.");
            }

            compares.Add(compare);
        }

        var success = ReadOps(ref d);
        var failure = ReadOps(ref d);
        return new TxnCommand(compares, success, failure);
    }

    private static LeaseExpireCommand ReadLeaseExpire(ref BinaryDecoder d)
    {
        var count = (int)Math.Min(d.ReadVarUInt(), int.MaxValue);
        var ids = new List<long>(Math.Min(count, 4096));
        for (var i = 0; i < count; i++)
        {
            ids.Add(d.ReadVarInt());
        }

        return new LeaseExpireCommand(ids);
    }

    private static void WritePrecondition(BinaryEncoder e, Precondition p)
    {
        e.WriteByte((byte)p.Kind);
        e.WriteVarInt(p.Value);
    }

    private static Precondition ReadPrecondition(ref BinaryDecoder d)
    {
        var kind = (PreconditionKind)d.ReadByte();
        if (kind > PreconditionKind.IfExists)
        {
            throw new FormatException($"Unknown precondition {(byte)kind}.");
        }

        return new Precondition(kind, d.ReadVarInt());
    }

    internal static void WriteRange(BinaryEncoder e, RangeQuery q)
    {
        e.WriteNullableBytes(q.Prefix);
        e.WriteNullableBytes(q.Start);
        e.WriteNullableBytes(q.End);
        e.WriteVarInt(q.Limit);
        e.WriteNullableBytes(q.After);
        e.WriteBool(q.KeysOnly);
        e.WriteBool(q.CountOnly);
        e.WriteVarInt(q.Revision);
    }

    internal static RangeQuery ReadRange(ref BinaryDecoder d) => new()
    {
        Prefix = d.ReadNullableBytes(),
        Start = d.ReadNullableBytes(),
        End = d.ReadNullableBytes(),
        Limit = checked((int)d.ReadVarInt()),
        After = d.ReadNullableBytes(),
        KeysOnly = d.ReadBool(),
        CountOnly = d.ReadBool(),
        Revision = d.ReadVarInt(),
    };
}
