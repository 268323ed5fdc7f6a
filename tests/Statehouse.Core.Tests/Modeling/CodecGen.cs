using CsCheck;
using Statehouse.Core.Model;

namespace Statehouse.Core.Tests.Modeling;

/// <summary>Generators over the whole value domain of commands and results, for codec round trips (not for applying).</summary>
internal static class CodecGen
{
    public static readonly Gen<string> Text = Gen.Char["abcxyz-_. é日\u00ff\u0000"].Array[0, 6].Select(a => new string(a));

    public static readonly Gen<string?> NullableText = Gen.Frequency((3, Gen.Const((string?)null)), (2, Text.Select(t => (string?)t)));

    public static readonly Gen<byte[]> Bytes = Gen.Byte.Array[0, 6];

    public static readonly Gen<byte[]?> NullableBytes = Gen.Frequency((3, Bytes.Select(b => (byte[]?)b)), (1, Gen.Const((byte[]?)null)));

    public static readonly Gen<long> Number = Gen.Frequency(
        (3, Gen.Long),
        (3, Gen.Long[-5, 300]),
        (1, Gen.OneOf(long.MinValue, long.MaxValue, 0L)));

    public static readonly Gen<int> Int32 = Gen.Frequency((2, Gen.Int), (3, Gen.Int[-5, 300]), (1, Gen.OneOf(int.MinValue, int.MaxValue)));

    public static readonly Gen<Precondition> Precondition = Gen.Select(Gen.Enum<PreconditionKind>(), Number, (k, v) => new Precondition(k, v));

    public static readonly Gen<KeyspaceConfig> Config = Gen.Select(Text, Int32, Int32, Number, (n, k, v, m) => new KeyspaceConfig(n, k, v, m));

    public static readonly Gen<RangeQuery> Query = Gen.Select(
        NullableBytes, NullableBytes, NullableBytes, Int32, NullableBytes, Gen.Bool, Gen.Bool, Number,
        (p, s, e, l, a, k, c, r) => new RangeQuery { Prefix = p, Start = s, End = e, Limit = l, After = a, KeysOnly = k, CountOnly = c, Revision = r });

    public static readonly Gen<TxnOperation> Operation = Gen.Select(
        Gen.OneOf(
            Gen.Select(Text, Bytes, Bytes, Precondition, Number, Number, Gen.Bool, (ks, k, v, p, l, t, rp) =>
                (TxnOperation)new PutCommand(ks, k, v) { Precondition = p, Lease = l, TtlSeconds = t, ReturnPrevious = rp }),
            Gen.Select(Text, Bytes, NullableBytes, Gen.Bool, Precondition, Gen.Bool, (ks, k, e, px, p, rp) =>
                (TxnOperation)new DeleteCommand(ks, k) { RangeEnd = e, Prefix = px, Precondition = p, ReturnPrevious = rp }),
            Gen.Select(Text, Bytes, Number, (ks, k, d) => (TxnOperation)new IncrementCommand(ks, k, d)),
            Gen.Select(Text, Bytes, (ks, k) => (TxnOperation)new GetOperation(ks, k)),
            Gen.Select(Text, Query, (ks, q) => (TxnOperation)new RangeOperation(ks, q))),
        NullableText,
        (op, id) => op with { RequestId = id });

    public static readonly Gen<Compare> Compare = Gen.Select(
        Text, Bytes, Gen.Enum<CompareTarget>(), Gen.Enum<CompareOp>(), NullableBytes, Number,
        (ks, k, t, o, v, n) => new Compare(ks, k, t, o, v, n));

    public static readonly Gen<Command> Command = Gen.Select(
        Gen.Frequency(
            (5, Operation.Select(o => (Command)o)),
            (3, Gen.Select(Compare.Array[0, 3], Operation.Array[0, 3], Operation.Array[0, 3], (c, s, f) => (Command)new TxnCommand(c, s, f))),
            (1, Gen.Select(Number, Number, (i, t) => (Command)new LeaseGrantCommand(i, t))),
            (1, Number.Select(i => (Command)new LeaseRevokeCommand(i))),
            (1, Number.Array[0, 4].Select(i => (Command)new LeaseExpireCommand(i))),
            (1, Number.Select(r => (Command)new CompactCommand(r))),
            (1, Config.Select(c => (Command)new CreateKeyspaceCommand(c)))),
        NullableText,
        (c, id) => c with { RequestId = id });

    public static readonly Gen<CommandBatch> Batch = Gen.Select(Number, Command.Array[0, 6], (ts, c) => new CommandBatch(ts, c));

    public static readonly Gen<KeyValue> Kv = Gen.Select(Bytes, Bytes, Number, Number, Number, Number, (k, v, c, m, ver, l) => new KeyValue(k, v, c, m, ver, l));

    public static readonly Gen<KeyValue?> NullableKv = Gen.Frequency((1, Gen.Const((KeyValue?)null)), (2, Kv.Select(k => (KeyValue?)k)));

    private static readonly Gen<CommandResult> FlatResult = Gen.OneOf(
        Gen.Select(Gen.Enum<ErrorCode>(), Text, Number, Number, (c, m, cur, comp) => (CommandResult)new ErrorResult(c, m) { CurrentRevision = cur, CompactRevision = comp }),
        Gen.Select(NullableKv, Number, (p, l) => (CommandResult)new PutResult(p, l)),
        Gen.Select(Number, Kv.Array[0, 3], (d, p) => (CommandResult)new DeleteResult(d, p)),
        Number.Select(v => (CommandResult)new IncrementResult(v)),
        NullableKv.Select(k => (CommandResult)new GetResult(k)),
        Gen.Select(Kv.Array[0, 3], Number, Gen.Bool, NullableBytes, (k, c, m, l) => (CommandResult)new RangeResult(k, c, m, l)),
        Gen.Select(Number, Number, (i, t) => (CommandResult)new LeaseGrantResult(i, t)),
        Number.Select(n => (CommandResult)new LeaseRevokeResult(n)),
        Gen.Select(Number.Array[0, 3], Number, (e, n) => (CommandResult)new LeaseExpireResult(e, n)),
        Number.Select(r => (CommandResult)new CompactResult(r)),
        Config.Select(c => (CommandResult)new CreateKeyspaceResult(c)));

    public static readonly Gen<CommandResult> Result = Gen.Select(
        Gen.Frequency(
            (6, FlatResult),
            (1, Gen.Select(Gen.Bool, FlatResult.Array[0, 3], (s, r) => (CommandResult)new TxnResult(s, r)))),
        Number,
        (r, rev) => r with { Revision = rev });

    /// <summary>A way to damage encoded bytes: truncate, flip a bit, overwrite, smear 0xFF, delete or insert a byte.</summary>
    public sealed record Mutation(int Kind, int Position, byte Value, int Length)
    {
        public byte[] Apply(byte[] input)
        {
            if (input.Length == 0)
            {
                return [Value];
            }

            var pos = Position % input.Length;
            var bytes = input.ToList();
            switch (Kind)
            {
                case 0:
                    return input[..pos];
                case 1:
                    bytes[pos] ^= (byte)(1 << (Value % 8));
                    break;
                case 2:
                    bytes[pos] = Value;
                    break;
                case 3:
                    for (var i = pos; i < Math.Min(bytes.Count, pos + Length); i++)
                    {
                        bytes[i] = 0xFF;
                    }

                    break;
                case 4:
                    bytes.RemoveAt(pos);
                    break;
                default:
                    bytes.Insert(pos, Value);
                    break;
            }

            return [.. bytes];
        }
    }

    public static readonly Gen<Mutation> Mutations = Gen.Select(Gen.Int[0, 5], Gen.Int[0, int.MaxValue], Gen.Byte, Gen.Int[1, 10], (k, p, v, l) => new Mutation(k, p, v, l));
}
