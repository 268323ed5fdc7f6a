using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;

namespace Statehouse.Cluster.Tests.Raft;

/// <summary>One entry as a consumer saw it; the payload is copied while the entry is valid (null for metadata reads).</summary>
internal sealed record ReadEntry(long Term, bool IsSnapshot, bool IsConfiguration, byte[]? Payload);

/// <summary>What one <c>ReadAsync</c> handed to its consumer.</summary>
internal sealed record ReadResult(IReadOnlyList<ReadEntry> Entries, long? SnapshotIndex)
{
    public IReadOnlyList<long> Terms => [.. Entries.Select(e => e.Term)];
}

/// <summary>
/// A consumer for <c>IAuditTrail&lt;IRaftLogEntry&gt;.ReadAsync</c> that copies what it is given, payloads included
/// unless <see cref="LogEntryMetadataOnly"/> (then only terms and flags, as DotNext's term reader).
/// </summary>
internal sealed class LogReader(bool metadataOnly = false) : ILogEntryConsumer<IRaftLogEntry, ReadResult>
{
    public bool LogEntryMetadataOnly => metadataOnly;

    public async ValueTask<ReadResult> ReadAsync<TEntryImpl, TList>(TList entries, long? snapshotIndex, CancellationToken token)
        where TEntryImpl : IRaftLogEntry
        where TList : IReadOnlyList<TEntryImpl>
    {
        var result = new List<ReadEntry>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var payload = metadataOnly ? null : await entry.ToByteArrayAsync(null, token).ConfigureAwait(false);
            result.Add(new ReadEntry(entry.Term, entry.IsSnapshot, entry.IsConfiguration, payload));
        }

        return new ReadResult(result, snapshotIndex);
    }
}
