using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;

namespace Statehouse.Cluster.Tests.Raft;

/// <summary>The same, through the untyped <c>IAuditTrail.ReadAsync</c> (entries are <see cref="ILogEntry"/>).</summary>
internal sealed class UntypedLogReader : ILogEntryConsumer<ILogEntry, ReadResult>
{
    public async ValueTask<ReadResult> ReadAsync<TEntryImpl, TList>(TList entries, long? snapshotIndex, CancellationToken token)
        where TEntryImpl : ILogEntry
        where TList : IReadOnlyList<TEntryImpl>
    {
        var result = new List<ReadEntry>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var raft = entry as IRaftLogEntry;
            var payload = await entry.ToByteArrayAsync(null, token).ConfigureAwait(false);
            result.Add(new ReadEntry(raft?.Term ?? -1, entry.IsSnapshot, raft?.IsConfiguration ?? false, payload));
        }

        return new ReadResult(result, snapshotIndex);
    }
}
