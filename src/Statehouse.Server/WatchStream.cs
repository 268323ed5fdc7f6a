using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Statehouse.Core;
using Statehouse.Core.Collections;
using Statehouse.Core.Store;

namespace Statehouse.Server;

/// <summary>Which keys a watch covers: one key, a prefix, or [Key, RangeEnd).</summary>
public sealed record WatchFilter(string Keyspace, byte[] Key, byte[]? RangeEnd, bool Prefix)
{
    private readonly byte[]? _end = Prefix ? ByteKeyComparer.PrefixEnd(Key) : RangeEnd;

    /// <summary>True when the event is inside the filter.</summary>
    public bool Matches(WatchEvent e)
    {
        if (e.Keyspace != Keyspace)
        {
            return false;
        }

        var key = (ReadOnlySpan<byte>)e.Key;
        if (!Prefix && RangeEnd is null)
        {
            return key.SequenceEqual(Key);
        }

        return key.SequenceCompareTo(Key) >= 0 && (_end is null || key.SequenceCompareTo(_end) < 0);
    }
}

/// <summary>
/// What a watcher is sent: the events of one or more revisions, or a progress notification. With <see cref="Fragment"/>
/// the last revision continues in the next batch (it was too big for one message); all earlier ones are complete.
/// </summary>
public sealed record WatchBatch(long Revision, IReadOnlyList<WatchEvent> Events, bool Progress, bool Fragment = false);

/// <summary>
/// One watch: replays history from a revision, then follows new changes, in revision order, with no gap and no
/// duplicate (both come from the one revision-ordered history). Idle periods produce progress notifications.
/// </summary>
public sealed class WatchStream
{
    private static int _active;

    /// <summary>Watches open per client connection (Kestrel's connection id); an entry leaves with its last watch.</summary>
    private static readonly ConcurrentDictionary<string, int> PerConnection = new(StringComparer.Ordinal);

    /// <summary>Watches open on this node.</summary>
    public static int Active => Volatile.Read(ref _active);

    /// <summary>
    /// Runs the watch until cancelled. Throws InvalidArgument for a negative <paramref name="fromRevision"/>, Compacted
    /// when it is no longer in history, Unavailable when the node serves <see cref="ServerOptions.MaxWatchers"/> watches and
    /// QuotaExceeded when <paramref name="connectionId"/> holds <see cref="ServerOptions.MaxWatchersPerConnection"/>.
    /// </summary>
    /// <remarks>
    /// <paramref name="fromRevision"/> 0 means "changes after now"; a revision beyond the current one is accepted, as in
    /// etcd: the watch waits for it and delivers nothing before it (progress messages report the current revision).
    /// </remarks>
    public static async IAsyncEnumerable<WatchBatch> RunAsync(
        NodeGateway gateway,
        WatchFilter filter,
        long fromRevision,
        TimeSpan progressInterval,
        string? connectionId,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var node = gateway.Node;
        if (fromRevision < 0)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, $"A watch starts at revision 1 or later (0 = changes after now); got {fromRevision}.");
        }

        if (!node.View.Keyspaces.ContainsKey(filter.Keyspace))
        {
            throw new StatehouseException(ErrorCode.NotFound, $"Keyspace '{filter.Keyspace}' does not exist.");
        }

        // The per-connection share first: a refused watch must not hold a node-wide slot, even for a moment.
        var perConnection = gateway.Options.MaxWatchersPerConnection;
        if (connectionId is not null && PerConnection.AddOrUpdate(connectionId, 1, (_, n) => n + 1) > perConnection)
        {
            Release(connectionId);
            throw new StatehouseException(ErrorCode.QuotaExceeded, $"This connection holds its maximum of {perConnection} watches; close one, or watch a prefix instead of many keys.");
        }

        if (Interlocked.Increment(ref _active) > gateway.Options.MaxWatchers)
        {
            Interlocked.Decrement(ref _active);
            Release(connectionId);
            throw new StatehouseException(ErrorCode.Unavailable, $"This node serves its maximum of {gateway.Options.MaxWatchers} watches.");
        }

        try
        {
            var next = fromRevision > 0 ? fromRevision : node.View.Revision + 1;
            var maxEvents = gateway.Options.MaxEventsPerWatchResponse;
            var maxBytes = gateway.Options.MaxWatchResponseBytes;
            var buffer = new List<WatchEvent>();
            var lastSent = DateTime.UtcNow;
            if (next < node.History.CompactRevision)
            {
                // Refuse before the first message, so HTTP can still answer 410 instead of a stream.
                var compact = node.History.CompactRevision;
                throw new StatehouseException(ErrorCode.Compacted, $"Revision {next} is compacted; the oldest available is {compact}.") { CompactRevision = compact };
            }

            // First message: the watch is established, nothing matched up to next - 1 yet.
            yield return new WatchBatch(Math.Clamp(next - 1, 0, node.View.Revision), [], true);
            while (!cancellationToken.IsCancellationRequested)
            {
                buffer.Clear();
                if (!node.History.TryRead(next, maxEvents, buffer, out var compact))
                {
                    throw new StatehouseException(ErrorCode.Compacted, $"Revision {next} is compacted; the oldest available is {compact}.") { CompactRevision = compact };
                }

                if (buffer.Count > 0)
                {
                    next = buffer[^1].Revision + 1;
                    var matching = buffer.Where(filter.Matches).ToList();
                    if (matching.Count > 0)
                    {
                        lastSent = DateTime.UtcNow;
                        foreach (var batch in SplitByBytes(matching, maxBytes))
                        {
                            yield return batch;
                        }
                    }

                    continue;
                }

                var waitFor = progressInterval - (DateTime.UtcNow - lastSent);
                if (waitFor <= TimeSpan.Zero)
                {
                    lastSent = DateTime.UtcNow;
                    yield return new WatchBatch(Math.Clamp(next - 1, 0, node.View.Revision), [], true);
                    continue;
                }

                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(waitFor);
                try
                {
                    await node.WaitForRevisionAsync(next, wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Idle for a progress interval: the loop sends a progress notification.
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _active);
            Release(connectionId);
        }
    }

    /// <summary>Gives back one watch of a connection; the entry goes with the connection's last watch (bounded map).</summary>
    private static void Release(string? connectionId)
    {
        if (connectionId is null)
        {
            return;
        }

        var left = PerConnection.AddOrUpdate(connectionId, 0, (_, n) => n - 1);
        Debug.Assert(left >= 0, "a connection released more watches than it opened");
        if (left <= 0)
        {
            // Removes the entry only if no watch was added meanwhile.
            PerConnection.TryRemove(KeyValuePair.Create(connectionId, 0));
        }
    }

    /// <summary>Cuts events (whole revisions, in order) into batches of about <paramref name="maxBytes"/>; a revision cut in two is marked.</summary>
    internal static IEnumerable<WatchBatch> SplitByBytes(List<WatchEvent> events, long maxBytes)
    {
        var chunk = new List<WatchEvent>();
        long bytes = 0;
        foreach (var e in events)
        {
            var size = 64L + e.Key.Length + (e.Current.Value?.Length ?? 0) + (e.Previous?.Value?.Length ?? 0);
            if (chunk.Count > 0 && bytes + size > maxBytes)
            {
                yield return new WatchBatch(chunk[^1].Revision, chunk, false, Fragment: chunk[^1].Revision == e.Revision);
                chunk = [];
                bytes = 0;
            }

            chunk.Add(e);
            bytes += size;
        }

        if (chunk.Count > 0)
        {
            yield return new WatchBatch(chunk[^1].Revision, chunk, false);
        }
    }
}
