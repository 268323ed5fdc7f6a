using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;

namespace Statehouse.Cluster.Tests.Raft;

/// <summary>
/// Follower-side entries as DotNext's TCP server hands them over: one reused entry object whose content changes on
/// every <see cref="MoveNextAsync"/>, not reusable, no memory to borrow (docs/internals/raft-integration.md §4.1).
/// The log must copy each entry during its turn.
/// </summary>
internal sealed class ListEntryProducer(IReadOnlyList<TestEntry> entries) : ILogEntryProducer<IRaftLogEntry>
{
    private readonly ReceivedEntry _current = new();
    private int _position = -1;

    /// <summary>How many times <see cref="MoveNextAsync"/> was called (the log must read the entries once, in order).</summary>
    public int MoveNextCalls { get; private set; }

    public long RemainingCount => entries.Count - (_position + 1);

    public IRaftLogEntry Current => _position >= 0 && _position < entries.Count ? _current : throw new InvalidOperationException("No current entry.");

    public ValueTask<bool> MoveNextAsync()
    {
        MoveNextCalls++;
        if (_position + 1 >= entries.Count)
        {
            _position = entries.Count;
            _current.Bind(null);
            return ValueTask.FromResult(false);
        }

        _position++;
        _current.Bind(entries[_position]);
        return ValueTask.FromResult(true);
    }

    public ValueTask DisposeAsync()
    {
        _current.Bind(null);
        return ValueTask.CompletedTask;
    }

    /// <summary>The reused entry: valid only until the next MoveNextAsync (afterwards it shows the next entry).</summary>
    private sealed class ReceivedEntry : IRaftLogEntry
    {
        private TestEntry? _entry;

        public long Term => Entry.Term;

        public bool IsConfiguration => Entry.IsConfiguration;

        public bool IsSnapshot => Entry.IsSnapshot;

        public bool IsReusable => false;

        public long? Length => Entry.Content.Length;

        private TestEntry Entry => _entry ?? throw new InvalidOperationException("The entry was used after its turn.");

        public void Bind(TestEntry? entry) => _entry = entry;

        public bool TryGetMemory(out ReadOnlyMemory<byte> memory)
        {
            memory = default;
            return false;
        }

        public ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
            where TWriter : IAsyncBinaryWriter => writer.WriteAsync(Entry.Content, null, token);
    }
}
