using System.Buffers;
using Statehouse.Storage.Groups;

namespace Statehouse.Storage.Tests.Groups;

public sealed class GroupLogFormatTests
{
    [Fact]
    public void Decode_ReturnsWhatWasEncoded_ForEveryOperationKind()
    {
        GroupOperation[] operations =
        [
            new AppendEntriesOperation(7, [new GroupEntry(5, 2, 1, new byte[] { 1, 2, 3 }), new GroupEntry(6, 3, 2, Array.Empty<byte>())]),
            new HardStateOperation(7, 3, 2, 5),
            new CompactOperation(9, 100, 4),
            new RemoveGroupOperation(11),
            new CreateGroupOperation(12, 301, new byte[] { 4, 5 }),
        ];

        var decoded = GroupLogFormat.Decode(Encode(operations));

        Assert.Equal(5, decoded.Count);
        var create = Assert.IsType<CreateGroupOperation>(decoded[4]);
        Assert.Equal((12UL, 301UL), (create.Group, create.Member));
        Assert.Equal(new byte[] { 4, 5 }, create.Bootstrap.ToArray());
        var append = Assert.IsType<AppendEntriesOperation>(decoded[0]);
        Assert.Equal([5UL, 6UL], append.Entries.Select(e => e.Index));
        Assert.Equal([2UL, 3UL], append.Entries.Select(e => e.Term));
        Assert.Equal(new byte[] { 1, 2, 3 }, append.Entries[0].Data.ToArray());
        Assert.True(append.Entries[1].Data.IsEmpty);
        Assert.Equal(operations[1], decoded[1]);
        Assert.Equal(operations[2], decoded[2]);
        Assert.Equal(operations[3], decoded[3]);
    }

    [Fact]
    public void Encode_Throws_WhenEntriesAreNotContiguous()
    {
        var append = new AppendEntriesOperation(1, [new GroupEntry(1, 1, 0, default), new GroupEntry(3, 1, 0, default)]);

        Assert.Throws<ArgumentException>(() => Encode([append]));
    }

    [Fact]
    public void Decode_ThrowsFormatException_ForEveryTruncationOfABatch()
    {
        var payload = Encode([new AppendEntriesOperation(3, [new GroupEntry(1, 1, 0, new byte[] { 9, 9 })]), new HardStateOperation(3, 1, 1, 1)]);

        // Every strict prefix either ends inside an operation (FormatException) or is a shorter valid batch.
        for (var length = 0; length < payload.Length; length++)
        {
            var prefix = payload.AsMemory(0, length);
            try
            {
                var decoded = GroupLogFormat.Decode(prefix);
                Assert.True(decoded.Count < 2, $"a prefix of {length} bytes decoded as the whole batch");
            }
            catch (FormatException)
            {
            }
        }
    }

    [Fact]
    public void Decode_ThrowsFormatException_ForAnUnknownVersionOrKind()
    {
        Assert.Throws<FormatException>(() => GroupLogFormat.Decode(new byte[] { 2 }));
        Assert.Throws<FormatException>(() => GroupLogFormat.Decode(new byte[] { 1, 9, 1 }));
        Assert.Throws<FormatException>(() => GroupLogFormat.Decode(new byte[] { 1, 4, 0 }));
    }

    private static byte[] Encode(IReadOnlyList<GroupOperation> operations)
    {
        var buffer = new ArrayBufferWriter<byte>();
        GroupLogFormat.Encode(operations, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
