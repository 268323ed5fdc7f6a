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

/// <summary>What a watcher is sent: the events of one or more whole revisions, or a progress notification.</summary>
public sealed record WatchBatch(long Revision, IReadOnlyList<WatchEvent> Events, bool Progress);

/// <summary>
/// One watch: replays history from a revision, then follows new changes, in revision order, with no gap and no
/// duplicate (both come from the one revision-ordered history). Idle periods produce progress notifications.
/// </summary>
public sealed class WatchStream
{
    private static int _active;

    /// <summary>Watches open on this node.</summary>
    public static int Active => Volatile.Read(ref _active);

    /// <summary>Runs the watch until cancelled. Throws Compacted when <paramref name="fromRevision"/> is no longer in history.</summary>
    public static async IAsyncEnumerable<WatchBatch> RunAsync(
        NodeGateway gateway,
        WatchFilter filter,
        long fromRevision,
        TimeSpan progressInterval,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var node = gateway.Node;
        if (!node.View.Keyspaces.ContainsKey(filter.Keyspace))
        {
            throw new StatehouseException(ErrorCode.NotFound, $"Keyspace '{filter.Keyspace}' does not exist.");
        }

        if (Interlocked.Increment(ref _active) > gateway.Options.MaxWatchers)
        {
            Interlocked.Decrement(ref _active);
            throw new StatehouseException(ErrorCode.Unavailable, $"This node serves its maximum of {gateway.Options.MaxWatchers} watches.");
        }

        try
        {
            var next = fromRevision > 0 ? fromRevision : node.View.Revision + 1;
            var maxEvents = gateway.Options.MaxEventsPerWatchResponse;
            var buffer = new List<WatchEvent>();
            var lastSent = DateTime.UtcNow;

            // First message: the watch is established, nothing matched up to next - 1 yet.
            yield return new WatchBatch(Math.Max(0, next - 1), [], true);
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
                        yield return new WatchBatch(matching[^1].Revision, matching, false);
                    }

                    continue;
                }

                var waitFor = progressInterval - (DateTime.UtcNow - lastSent);
                if (waitFor <= TimeSpan.Zero)
                {
                    lastSent = DateTime.UtcNow;
                    yield return new WatchBatch(next - 1, [], true);
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
        }
    }
}
