using System.Buffers;
using CsCheck;
using Statehouse.Core.Codecs;
using Statehouse.Core.Model;
using Statehouse.Core.Tests.Modeling;
using Statehouse.Core.Tests.Support;
using Xunit.Abstractions;

namespace Statehouse.Core.Tests;

/// <summary>Round trips and damaged-input behaviour of <see cref="CommandCodec"/> and <see cref="ResultCodec"/>.</summary>
public sealed class CodecTests(ITestOutputHelper output)
{
    [Fact]
    public void CommandCodec_RoundTripsStructurally_WhenBatchHoldsEveryCommandType()
    {
        CodecGen.Batch.Sample(
            batch => Structural.AssertEqual(batch, CommandCodec.Decode(CommandCodec.Encode(batch)), "decode(encode(batch))"),
            writeLine: output.WriteLine,
            seed: PropertyRuns.Seed,
            iter: PropertyRuns.Iterations(2_000),
            print: Structural.Print);
    }

    [Fact]
    public void ResultCodec_RoundTripsStructurally_WhenResultHasAnyType()
    {
        CodecGen.Result.Sample(
            result => Structural.AssertEqual(result, DecodeResult(EncodeResult(result)), "read(write(result))"),
            writeLine: output.WriteLine,
            seed: PropertyRuns.Seed,
            iter: PropertyRuns.Iterations(2_000),
            print: Structural.Print);
    }

    [Fact]
    public void CommandCodec_DecodeThrowsOnlyFormatException_WhenInputIsTruncatedOrDamaged()
    {
        Gen.Select(CodecGen.Batch, CodecGen.Mutations).Sample(
            (batch, mutation) => CheckDamagedBatch(mutation.Apply(CommandCodec.Encode(batch))),
            writeLine: output.WriteLine,
            seed: PropertyRuns.Seed,
            iter: PropertyRuns.Iterations(5_000),
            print: t => $"{Structural.Print(t.Item2)} of {Structural.Print(t.Item1)}");
    }

    [Fact]
    public void CommandCodec_DecodeThrowsFormatException_WhenEveryPrefixIsDecoded()
    {
        CodecGen.Batch.Sample(
            batch =>
            {
                var bytes = CommandCodec.Encode(batch);
                for (var length = 0; length < bytes.Length; length++)
                {
                    Assert.Throws<FormatException>(() => CommandCodec.Decode(bytes.AsSpan(0, length)));
                }
            },
            writeLine: output.WriteLine,
            seed: PropertyRuns.Seed,
            iter: PropertyRuns.Iterations(300),
            print: Structural.Print);
    }

    [Fact]
    public void ResultCodec_ReadThrowsOnlyFormatException_WhenInputIsTruncatedOrDamaged()
    {
        Gen.Select(CodecGen.Result, CodecGen.Mutations).Sample(
            (result, mutation) =>
            {
                var damaged = mutation.Apply(EncodeResult(result));
                try
                {
                    var decoded = DecodeResult(damaged);
                    Structural.AssertEqual(decoded, DecodeResult(EncodeResult(decoded)), "a damaged result that decodes must be a valid result");
                }
                catch (FormatException)
                {
                }
            },
            writeLine: output.WriteLine,
            seed: PropertyRuns.Seed,
            iter: PropertyRuns.Iterations(5_000),
            print: t => $"{Structural.Print(t.Item2)} of {Structural.Print(t.Item1)}");
    }

    // Was a bug at b053d08: CommandCodec.ReadKeyspaceConfig used checked((int)d.ReadVarInt()) for MaxKeyBytes/MaxValueBytes, so a varint
    // outside int range escapes as OverflowException instead of the documented FormatException.
    [Fact]
    public void CommandCodec_DecodeThrowsFormatException_WhenKeyspaceLimitExceedsInt32()
    {
        var bytes = EncodeRaw(e =>
        {
            e.WriteByte(CommandCodec.FormatVersion);
            e.WriteInt64(0);
            e.WriteVarUInt(1);
            e.WriteByte(11); // CreateKeyspace
            e.WriteString("ks");
            e.WriteVarInt((long)int.MaxValue + 1); // MaxKeyBytes
            e.WriteVarInt(0);
            e.WriteVarInt(0);
            e.WriteNullableString(null);
        });

        var thrown = Record.Exception(() => CommandCodec.Decode(bytes));

        Assert.IsType<FormatException>(thrown);
    }

    // Was a bug at b053d08: CommandCodec.ReadRange used checked((int)d.ReadVarInt()) for Limit: OverflowException instead of FormatException.
    [Fact]
    public void CommandCodec_DecodeThrowsFormatException_WhenRangeLimitExceedsInt32()
    {
        var bytes = EncodeRaw(e =>
        {
            e.WriteByte(CommandCodec.FormatVersion);
            e.WriteInt64(0);
            e.WriteVarUInt(1);
            e.WriteByte(5); // Range
            e.WriteString("default");
            e.WriteNullableBytes(null);
            e.WriteNullableBytes(null);
            e.WriteNullableBytes(null);
            e.WriteVarInt(long.MinValue); // Limit
            e.WriteNullableBytes(null);
            e.WriteBool(false);
            e.WriteBool(false);
            e.WriteVarInt(0);
            e.WriteNullableString(null);
        });

        var thrown = Record.Exception(() => CommandCodec.Decode(bytes));

        Assert.IsType<FormatException>(thrown);
    }

    // BUG: ReadCommand -> ReadTxn -> ReadOps -> ReadCommand recurses once per nested Txn tag (3 bytes each) before the
    // "non-transactional command" check runs, so ~1 MB of crafted input overflows the stack and kills the process
    // (StackOverflow cannot be caught). Skipped because it crashes the test host; unskip to reproduce.
    [Fact]
    public void CommandCodec_DecodeThrowsFormatException_WhenTransactionsNestDeeply()
    {
        const int depth = 1_000_000;
        var bytes = EncodeRaw(e =>
        {
            e.WriteByte(CommandCodec.FormatVersion);
            e.WriteInt64(0);
            e.WriteVarUInt(1);
            for (var i = 0; i < depth; i++)
            {
                e.WriteByte(6); // Txn
                e.WriteVarUInt(0); // no compares
                e.WriteVarUInt(1); // one success op, which is again a Txn
            }
        });

        Assert.Throws<FormatException>(() => CommandCodec.Decode(bytes));
    }

    // BUG (same shape, reached from snapshot bodies): ResultCodec.ReadCore recurses once per nested Txn result tag
    // (3 bytes each) although a TxnResult never holds another one. Skipped because it crashes the test host.
    [Fact]
    public void ResultCodec_ReadThrowsFormatException_WhenTxnResultsNestDeeply()
    {
        const int depth = 1_000_000;
        var bytes = EncodeRaw(e =>
        {
            for (var i = 0; i < depth; i++)
            {
                e.WriteByte(7); // Txn result
                e.WriteBool(true);
                e.WriteVarUInt(1); // one inner result, which is again a Txn result
            }
        });

        Assert.Throws<FormatException>(() => DecodeResult(bytes));
    }

    [Fact]
    public void CommandCodec_DecodeThrowsFormatException_WhenFormatVersionIsUnknown()
    {
        var bytes = CommandCodec.Encode(new CommandBatch(1, [new CompactCommand(1)]));
        bytes[0] = CommandCodec.FormatVersion + 1;

        Assert.Throws<FormatException>(() => CommandCodec.Decode(bytes));
    }

    [Fact]
    public void CommandCodec_DecodeThrowsFormatException_WhenTrailingBytesFollowTheBatch()
    {
        var bytes = CommandCodec.Encode(new CommandBatch(1, [new CompactCommand(1)]));

        Assert.Throws<FormatException>(() => CommandCodec.Decode([.. bytes, 0]));
    }

    private static void CheckDamagedBatch(byte[] damaged)
    {
        CommandBatch decoded;
        try
        {
            decoded = CommandCodec.Decode(damaged);
        }
        catch (FormatException)
        {
            return;
        }

        // Whatever decodes must be a batch the codec can write and read back unchanged.
        Structural.AssertEqual(decoded, CommandCodec.Decode(CommandCodec.Encode(decoded)), "a damaged batch that decodes must be a valid batch");
    }

    internal static byte[] EncodeResult(CommandResult result) => EncodeRaw(e => ResultCodec.Write(e, result));

    internal static CommandResult DecodeResult(byte[] bytes)
    {
        var d = new BinaryDecoder(bytes);
        var result = ResultCodec.Read(ref d);
        if (!d.End)
        {
            throw new FormatException("trailing bytes after the result");
        }

        return result;
    }

    internal static byte[] EncodeRaw(Action<BinaryEncoder> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new BinaryEncoder(buffer));
        return buffer.WrittenSpan.ToArray();
    }
}
