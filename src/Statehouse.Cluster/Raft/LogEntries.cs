using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft;
using Statehouse.Storage;

namespace Statehouse.Cluster.Raft;

/// <summary>
/// How a Raft log entry is stored in our log record's payload: empty = no-op (a new leader's first entry),
/// <see cref="ConfigurationTag"/> + bytes = a membership configuration, anything else = a <c>CommandCodec</c> batch
/// (whose first byte is its format version, 1).
/// </summary>
internal static class RaftEnvelope
{
    public const byte ConfigurationTag = 0xC0;

    public static bool IsConfiguration(ReadOnlySpan<byte> stored) => stored.Length > 0 && stored[0] == ConfigurationTag;

    /// <summary>The bytes DotNext sees (the configuration without our tag).</summary>
    public static ReadOnlyMemory<byte> Content(ReadOnlyMemory<byte> stored) =>
        IsConfiguration(stored.Span) ? stored[1..] : stored;

    public static byte[] Store(ReadOnlySpan<byte> content, bool isConfiguration)
    {
        if (!isConfiguration)
        {
            return content.ToArray();
        }

        var stored = new byte[content.Length + 1];
        stored[0] = ConfigurationTag;
        content.CopyTo(stored.AsSpan(1));
        return stored;
    }
}

/// <summary>An entry of our log as DotNext reads it (leader replication, term checks). Immutable: safe to hold.</summary>
internal sealed class StoredLogEntry(long index, long term, ReadOnlyMemory<byte> stored) : IRaftLogEntry
{
    public long Index { get; } = index;

    public long Term { get; } = term;

    /// <summary>The payload as stored (with the envelope).</summary>
    public ReadOnlyMemory<byte> Stored { get; } = stored;

    public bool IsConfiguration => RaftEnvelope.IsConfiguration(Stored.Span);

    public bool IsReusable => true;

    public long? Length => RaftEnvelope.Content(Stored).Length;

    public bool TryGetMemory(out ReadOnlyMemory<byte> memory)
    {
        memory = RaftEnvelope.Content(Stored);
        return true;
    }

    public ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter => writer.WriteAsync(RaftEnvelope.Content(Stored), null, token);

    public static StoredLogEntry From(LogRecord record) => new(record.Index, record.Term, record.Payload);
}

/// <summary>Term-only entry for metadata reads (and index 0, the virtual entry before the log).</summary>
internal sealed class TermOnlyEntry(long term, bool isSnapshot) : IRaftLogEntry
{
    public long Term { get; } = term;

    public bool IsSnapshot { get; } = isSnapshot;

    public bool IsReusable => true;

    public long? Length => 0;

    public bool TryGetMemory(out ReadOnlyMemory<byte> memory)
    {
        memory = ReadOnlyMemory<byte>.Empty;
        return true;
    }

    public ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter => ValueTask.CompletedTask;
}

/// <summary>
/// A snapshot sent to a follower (InstallSnapshot). The file is opened when the entry is created, so snapshot
/// retention cannot delete it from under the transfer (an open file survives unlinking).
/// </summary>
internal sealed class SnapshotLogEntry(SnapshotInfo info, Stream body) : IRaftLogEntry, IDisposable
{
    public SnapshotInfo Info { get; } = info;

    public long Term => Info.Term;

    public bool IsSnapshot => true;

    public bool IsReusable => false;

    public long? Length => Info.BodyLengthBytes;

    public async ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter
    {
        body.Position = 0;
        await writer.CopyFromAsync(body, Info.BodyLengthBytes, token).ConfigureAwait(false);
    }

    public void Dispose() => body.Dispose();
}

/// <summary>A list of entries handed to a DotNext consumer.</summary>
internal readonly struct EntryList(IRaftLogEntry[] entries) : IReadOnlyList<IRaftLogEntry>
{
    public IRaftLogEntry this[int index] => entries[index];

    public int Count => entries.Length;

    public IEnumerator<IRaftLogEntry> GetEnumerator() => ((IEnumerable<IRaftLogEntry>)entries).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => entries.GetEnumerator();
}

/// <summary>A configuration payload handed to <c>IClusterConfigurationStorage.SaveConfigurationAsync</c>.</summary>
internal readonly struct ConfigurationPayload(ReadOnlyMemory<byte> content) : IDataTransferObject
{
    public bool IsReusable => true;

    public long? Length => content.Length;

    public bool TryGetMemory(out ReadOnlyMemory<byte> memory)
    {
        memory = content;
        return true;
    }

    public ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter => writer.WriteAsync(content, null, token);
}
