using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft;

namespace Statehouse.Cluster.Tests.Raft;

/// <summary>
/// A log entry a test builds: a command payload, a configuration (DotNext's own configuration entry type is internal),
/// or a snapshot whose body streams through <see cref="WriteToAsync"/> with no memory to borrow, as a received
/// InstallSnapshot does.
/// </summary>
internal sealed class TestEntry : IRaftLogEntry
{
    private TestEntry(long term, byte[] content, bool isConfiguration, bool isSnapshot)
    {
        Term = term;
        Content = content;
        IsConfiguration = isConfiguration;
        IsSnapshot = isSnapshot;
    }

    public long Term { get; }

    public byte[] Content { get; }

    public bool IsConfiguration { get; }

    public bool IsSnapshot { get; }

    public bool IsReusable => true;

    public long? Length => Content.Length;

    public static TestEntry Command(long term, byte[] payload) => new(term, payload, isConfiguration: false, isSnapshot: false);

    public static TestEntry Configuration(long term, byte[] content) => new(term, content, isConfiguration: true, isSnapshot: false);

    public static TestEntry Snapshot(long term, byte[] body) => new(term, body, isConfiguration: false, isSnapshot: true);

    public bool TryGetMemory(out ReadOnlyMemory<byte> memory)
    {
        // Snapshots stream (as DotNext's ReceivedSnapshot); other entries lend their memory (as BinaryLogEntry).
        memory = IsSnapshot ? default : Content;
        return !IsSnapshot;
    }

    public ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter => writer.WriteAsync(Content, null, token);
}
