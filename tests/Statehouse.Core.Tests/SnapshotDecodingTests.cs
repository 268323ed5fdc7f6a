using System.Buffers;
using System.Buffers.Binary;
using CsCheck;
using Statehouse.Core.Codecs;
using Statehouse.Core.Model;
using Statehouse.Core.Store;
using Statehouse.Core.Tests.Modeling;
using Statehouse.Core.Tests.Support;
using Xunit.Abstractions;

namespace Statehouse.Core.Tests;

/// <summary>
/// Restore on damaged or crafted bodies: SnapshotCodec.Read documents FormatException for malformed input, and a
/// rejected body must leave the machine as it was. Runs alone: some damaged bodies make Restore allocate gigabytes,
/// which under the project's heap limit (see the csproj) could starve tests running in parallel.
/// </summary>
[Collection(nameof(MemoryHungryCollection))]
public sealed class SnapshotDecodingTests(ITestOutputHelper output)
{
    [Fact]
    public void Restore_ThrowsOnlyFormatException_WhenBodyIsTruncatedOrDamaged()
    {
        var body = SnapshotRestoreTests.RichSnapshot();
        CodecGen.Mutations.Sample(
            mutation =>
            {
                var machine = new StateMachine(CommandGen.Limits);
                var before = StateMachine.StateHash(machine.View);
                try
                {
                    machine.Restore(new MemoryStream(mutation.Apply(body)));
                }
                catch (FormatException)
                {
                    Assert.Equal(before, StateMachine.StateHash(machine.View));
                }
            },
            writeLine: output.WriteLine,
            seed: PropertyRuns.Seed,
            iter: PropertyRuns.Iterations(3_000),
            threads: 1,
            print: Structural.Print);
    }

    // Was a bug at b053d08: SnapshotCodec.ReadChain allocated `new (...)[(int)d.ReadVarUInt()]` before reading any version. A count
    // ≥ 2^31 wraps negative (OverflowException); a smaller huge count allocates count × 48 bytes up front
    // (2^31-1 → ~100 GB: OutOfMemoryException under this project's heap limit, the kernel OOM killer without one).
    // Expected: FormatException once the count exceeds what the remaining bytes can hold.
    [Theory]
    [InlineData(uint.MaxValue)]
    [InlineData(int.MaxValue)]
    public void Restore_ThrowsFormatException_WhenVersionCountIsHuge(ulong count)
    {
        var body = Chunk(e =>
        {
            WriteHeader(e);
            WriteDefaultKeyspace(e);
            e.WriteByte(3); // Key
            e.WriteBytes("a"u8);
            e.WriteVarUInt(count);
        });

        var thrown = Record.Exception(() => new StateMachine().Restore(new MemoryStream(body)));

        Assert.IsType<FormatException>(thrown);
    }

    // Was a bug at b053d08: a body cut short surfaced as EndOfStreamException from Stream.ReadExactly in SnapshotCodec.Read, not the
    // documented FormatException.
    [Fact]
    public void Restore_ThrowsFormatException_WhenBodyEndsEarly()
    {
        var body = SnapshotRestoreTests.RichSnapshot();

        var thrown = Record.Exception(() => new StateMachine().Restore(new MemoryStream(body[..(body.Length / 2)])));

        Assert.IsType<FormatException>(thrown);
    }

    // Was a bug at b053d08: keys out of order reached PersistentSortedMap.FromSorted's Invariant.Assert: InvariantViolationException
    // ("state is corrupt, stop the node") for bad input at a boundary. Same for CompactRevision > Revision (Restore's first assert).
    [Fact]
    public void Restore_ThrowsFormatException_WhenKeysAreOutOfOrder()
    {
        var body = Chunk(e =>
        {
            WriteHeader(e);
            WriteDefaultKeyspace(e);
            foreach (var key in new[] { "b", "a" })
            {
                e.WriteByte(3);
                e.WriteBytes(Driver.B(key));
                e.WriteVarUInt(1);
                e.WriteByte((byte)ChangeKind.Put);
                e.WriteNullableBytes([1]);
                e.WriteVarInt(1);
                e.WriteVarInt(1);
                e.WriteVarInt(1);
                e.WriteVarInt(0);
            }

            e.WriteByte(6); // End
        });

        var thrown = Record.Exception(() => new StateMachine().Restore(new MemoryStream(body)));

        Assert.IsType<FormatException>(thrown);
    }

    // Was a bug at b053d08: two lease records with one id made Restore's c.Leases.ToDictionary throw ArgumentException.
    [Fact]
    public void Restore_ThrowsFormatException_WhenLeaseIdRepeats()
    {
        var body = Chunk(e =>
        {
            WriteHeader(e);
            WriteDefaultKeyspace(e);
            for (var i = 0; i < 2; i++)
            {
                e.WriteByte(4); // Lease
                e.WriteVarInt(7);
                e.WriteVarInt(10);
                e.WriteBool(false); // owned
            }

            e.WriteByte(6);
        });

        var thrown = Record.Exception(() => new StateMachine().Restore(new MemoryStream(body)));

        Assert.IsType<FormatException>(thrown);
    }

    // Was a bug at b053d08: Restore assigned _keyspaces and _leases before `c.Requests.ToImmutableDictionary` throws ArgumentException on
    // a repeated request id (StateMachine.Snapshot.cs, the assignment block at the end of Restore), so a rejected body
    // leaves the machine half-replaced: the snapshot's keys with the old revision, requests and history.
    [Fact]
    public void Restore_LeavesMachineUnchanged_WhenBodyRepeatsARequestId()
    {
        var d = new Driver();
        d.Run(Driver.Put("a", "1"));
        var body = Chunk(e =>
        {
            WriteHeader(e);
            WriteDefaultKeyspace(e);
            for (var i = 0; i < 2; i++)
            {
                e.WriteByte(5); // Request
                e.WriteString("same");
                e.WriteInt64(1 + i); // timestamp
                e.WriteInt64(42); // request fingerprint
                ResultCodec.Write(e, new CompactResult(0));
            }

            e.WriteByte(6);
        });

        var thrown = Record.Exception(() => d.Machine.Restore(new MemoryStream(body)));
        var afterwards = (GetResult)d.Run(new GetOperation(KeyspaceConfig.DefaultName, Driver.B("a")));

        Assert.True(afterwards.Kv is not null, $"key 'a' vanished after Restore threw {thrown?.GetType().Name}: the machine was half-replaced");
        Assert.IsType<FormatException>(thrown);
    }

    private static void WriteHeader(BinaryEncoder e)
    {
        e.WriteByte(1); // Header
        e.WriteByte(SnapshotCodec.FormatVersion);
        e.WriteVarInt(1); // applied index
        e.WriteVarInt(1); // revision
        e.WriteVarInt(0); // compact revision
        e.WriteVarInt(1); // next lease id
    }

    private static void WriteDefaultKeyspace(BinaryEncoder e)
    {
        e.WriteByte(2); // Keyspace
        CommandCodec.WriteKeyspaceConfig(e, new KeyspaceConfig(KeyspaceConfig.DefaultName));
    }

    private static byte[] Chunk(Action<BinaryEncoder> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new BinaryEncoder(buffer));
        var body = new byte[4 + buffer.WrittenCount];
        BinaryPrimitives.WriteUInt32LittleEndian(body, (uint)buffer.WrittenCount);
        buffer.WrittenSpan.CopyTo(body.AsSpan(4));
        return body;
    }
}

[CollectionDefinition(nameof(MemoryHungryCollection), DisableParallelization = true)]
public sealed class MemoryHungryCollection;
