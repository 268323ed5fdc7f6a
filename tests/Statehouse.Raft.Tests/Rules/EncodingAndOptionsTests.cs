using static Statehouse.Raft.Tests.Rules.Rig;

namespace Statehouse.Raft.Tests.Rules;

/// <summary>Configuration and change encodings, option validation, the in-flight window.</summary>
public sealed class EncodingAndOptionsTests
{
    [Theory]
    [InlineData(new ulong[] { 1 }, new ulong[0])]
    [InlineData(new ulong[] { 3, 1, 2 }, new ulong[] { 5, 4 })]
    [InlineData(new ulong[0], new ulong[0])]
    public void Configuration_RoundTrips_ThroughItsEncoding(ulong[] voters, ulong[] learners)
    {
        var configuration = new Configuration(voters.Select(N), learners.Select(N));
        var decoded = Configuration.Decode(configuration.Encode());

        Assert.Equal(configuration, decoded);
        Assert.Equal(configuration.GetHashCode(), decoded.GetHashCode());
        Assert.Equal(configuration.Encode(), new Configuration(voters.Reverse().Select(N), learners.Select(N)).Encode());
    }

    public static TheoryData<byte[]> GarbageConfigurations()
    {
        var valid = new Configuration([N(1), N(2)], [N(3)]).Encode();
        var data = new TheoryData<byte[]>
        {
            Array.Empty<byte>(),
            new byte[] { 1 },
            new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, 0 },
            valid[..^1],
            valid.Append((byte)0).ToArray(),
            new byte[] { 1, 255, 255, 255, 255, 0, 0, 0, 0 },
            new byte[] { 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, // node id 0
            new byte[] { 1, 1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0 }, // voter and learner
        };
        return data;
    }

    // A configuration read from disk or the wire is either what was encoded or a FormatException, never a wrong one.
    [Theory]
    [MemberData(nameof(GarbageConfigurations))]
    public void Configuration_Decode_ThrowsFormatException_WhenTheBytesAreGarbage(byte[] bytes) =>
        Assert.Throws<FormatException>(() => Configuration.Decode(bytes));

    [Theory]
    [InlineData(ConfigChangeKind.AddLearner, 4UL, "")]
    [InlineData(ConfigChangeKind.PromoteLearner, 9UL, "10.0.0.9:7000")]
    [InlineData(ConfigChangeKind.Remove, ulong.MaxValue, "x")]
    public void ConfigChange_RoundTrips_ThroughItsEncoding(ConfigChangeKind kind, ulong node, string context)
    {
        var change = new ConfigChange(kind, N(node), System.Text.Encoding.UTF8.GetBytes(context));
        var decoded = ConfigChange.Decode(change.Encode());

        Assert.Equal(kind, decoded.Kind);
        Assert.Equal(N(node), decoded.Node);
        Assert.Equal(context, System.Text.Encoding.UTF8.GetString(decoded.Context.Span));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })] // short
    [InlineData(new byte[] { 9, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })] // version
    [InlineData(new byte[] { 1, 7, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })] // kind
    [InlineData(new byte[] { 1, 1, 4, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 1 })] // context length
    [InlineData(new byte[] { 1, 1, 4, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255 })] // negative length
    public void ConfigChange_Decode_ThrowsFormatException_WhenTheBytesAreGarbage(byte[] bytes) =>
        Assert.Throws<FormatException>(() => ConfigChange.Decode(bytes));

    public static TheoryData<string, Func<RaftOptions, RaftOptions>> InvalidOptions() => new()
    {
        { "election ticks", o => o with { ElectionTicks = 1 } },
        { "heartbeat at the election timeout", o => o with { HeartbeatTicks = 10 } },
        { "heartbeat 0", o => o with { HeartbeatTicks = 0 } },
        { "append bytes", o => o with { MaxAppendBytes = 0 } },
        { "in-flight appends", o => o with { MaxInflightAppends = 0 } },
        { "in-flight bytes", o => o with { MaxInflightBytes = -1 } },
        { "uncommitted bytes", o => o with { MaxUncommittedBytes = 0 } },
        { "committed bytes per ready", o => o with { MaxCommittedBytesPerReady = 0 } },
        { "chunk bytes", o => o with { SnapshotChunkBytes = 0 } },
        { "in-flight chunks", o => o with { MaxInflightSnapshotChunks = 0 } },
        { "snapshot retry", o => o with { SnapshotRetryTicks = 0 } },
        { "lease without check-quorum", o => o with { CheckQuorum = false, LeaseReads = new LeaseReadOptions(0.1) } },
        { "drift 0", o => o with { LeaseReads = new LeaseReadOptions(0) } },
        { "drift 1", o => o with { LeaseReads = new LeaseReadOptions(1) } },
        { "lease under a tick", o => o with { ElectionTicks = 3, HeartbeatTicks = 1, LeaseReads = new LeaseReadOptions(0.1) } },
        { "id 0", o => o with { Id = NodeId.None } },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Validate_Throws_WhenAnOptionIsOutOfRange(string what, Func<RaftOptions, RaftOptions> change)
    {
        var options = change(new RaftOptions { Id = N(1), Group = Group });
        Assert.Throws<ArgumentException>(options.Validate);
        Assert.Throws<ArgumentException>(() => new RaftNode(options, new MemoryRaftStorage(Voters(1)), new Random(1)));
        Assert.NotEmpty(what);
    }

    [Fact]
    public void Validate_Accepts_TheDefaultsAndALeaseThatFits()
    {
        new RaftOptions { Id = N(1), Group = Group }.Validate();
        new RaftOptions { Id = N(1), Group = Group, LeaseReads = new LeaseReadOptions(0.1) }.Validate();
    }

    [Fact]
    public void Inflights_IsFull_ByCountOrBytes_AndFreesUpToAnIndex()
    {
        var byCount = new Inflights(3, 0);
        byCount.Add(new LogIndex(2), 10);
        byCount.Add(new LogIndex(4), 10);
        byCount.Add(new LogIndex(7), 10);
        Assert.True(byCount.IsFull);
        Assert.Throws<RaftInvariantException>(() => byCount.Add(new LogIndex(8), 1));

        byCount.FreeTo(new LogIndex(5));
        Assert.Equal(1, byCount.Count);
        Assert.Equal(10, byCount.Bytes);
        Assert.False(byCount.IsFull);

        // The ring wraps around.
        byCount.Add(new LogIndex(9), 1);
        byCount.Add(new LogIndex(12), 1);
        byCount.FreeTo(new LogIndex(9));
        Assert.Equal(1, byCount.Count);
        Assert.Throws<RaftInvariantException>(() => byCount.Add(new LogIndex(11), 1));

        var byBytes = new Inflights(10, 100);
        byBytes.Add(new LogIndex(1), 60);
        Assert.False(byBytes.IsFull);
        byBytes.Add(new LogIndex(2), 40);
        Assert.True(byBytes.IsFull);
        byBytes.Reset();
        Assert.Equal(0, byBytes.Count);
        Assert.Equal(0, byBytes.Bytes);
    }
}
