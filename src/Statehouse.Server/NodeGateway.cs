using System.Buffers;
using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Statehouse.Cluster;
using Statehouse.Core;
using Statehouse.Core.Codecs;
using Statehouse.Core.Model;
using Statehouse.Core.Store;
using Statehouse.Server.Cluster;
using V1 = Statehouse.V1;

namespace Statehouse.Server;

/// <summary>
/// What the API layers (gRPC and HTTP) share: run a command (here when this node leads, else forwarded to the leader)
/// and turn an expected failure into the boundary exception; pick the view a read is served from per its consistency.
/// </summary>
public sealed class NodeGateway(StatehouseNode node, ServerOptions options, PeerChannels peers)
{
    /// <summary>How many times a write or read index is re-routed after the leader changed under it.</summary>
    private const int MaxRoutingAttempts = 4;

    /// <summary>How long a write may wait for the log before the caller gets Timeout (outcome unknown).</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The node.</summary>
    public StatehouseNode Node => node;

    /// <summary>The server options.</summary>
    public ServerOptions Options => options;

    /// <summary>Connections to the other nodes.</summary>
    public PeerChannels Peers => peers;

    /// <summary>The leader's node id when known without a network call.</summary>
    public string? LeaderIdHint => node.LeaderId;

    /// <summary>
    /// Refuses a page size above <see cref="StoreLimits.MaxRangeLimit"/> (InvalidArgument) instead of clamping it, the
    /// same over HTTP and gRPC, for reads and for ranges inside transactions. Checked at the edge only: the state
    /// machine still clamps, so log entries written before this check replay as they applied.
    /// </summary>
    public void CheckRangeLimit(long limit)
    {
        var max = options.Limits.MaxRangeLimit;
        if (limit > max)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, $"limit {limit} is above the maximum page of {max}; ask for at most {max} and follow the continuation.");
        }
    }

    /// <summary><see cref="CheckRangeLimit"/> for every range operation of a transaction.</summary>
    public void CheckRangeLimits(TxnCommand txn)
    {
        foreach (var op in txn.Success.Concat(txn.Failure))
        {
            if (op is RangeOperation range)
            {
                CheckRangeLimit(range.Query.Limit);
            }
        }
    }

    /// <summary>The latest state applied here (no freshness guarantee beyond this replica; for headers and eventual reads).</summary>
    public StoreView ReadView() => node.View;

    /// <summary>
    /// The view a read is served from. Single node: the latest applied state, which holds every acknowledged write.
    /// Cluster: linearizable asks the leader for a read index and waits to apply it; session waits for the token;
    /// bounded checks this replica's staleness (else falls back to a read index); eventual serves as is.
    /// </summary>
    public async ValueTask<StoreView> ReadViewAsync(ReadRequirement read, CancellationToken cancellationToken)
    {
        ThrowIfRemoved();
        if (!node.IsClustered)
        {
            return node.View;
        }

        switch (read.Consistency)
        {
            case ReadConsistency.Eventual:
                return await AtLeastAsync(read.MinRevision, cancellationToken).ConfigureAwait(false);
            case ReadConsistency.Session:
                return await AtLeastAsync(read.MinRevision, cancellationToken).ConfigureAwait(false);
            case ReadConsistency.Bounded:
                var bound = TimeSpan.FromMilliseconds(read.MaxStalenessMs > 0 ? read.MaxStalenessMs : options.DefaultMaxStalenessMs);
                if (node.Staleness is { } staleness && staleness <= bound)
                {
                    return await AtLeastAsync(read.MinRevision, cancellationToken).ConfigureAwait(false);
                }

                // Too far behind (or cut off): a read index is always fresh enough.
                goto default;
            default:
                var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    timeout.CancelAfter(WriteTimeout);
                    try
                    {
                        await node.WaitForAppliedIndexAsync(index, timeout.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new StatehouseException(ErrorCode.Unavailable, $"This replica did not apply the leader's read index {index} in time; retry or read from another node.");
                    }
                }

                return node.View;
        }
    }

    private async ValueTask<StoreView> AtLeastAsync(long revision, CancellationToken cancellationToken)
    {
        var view = node.View;
        if (revision <= view.Revision)
        {
            return view;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.SessionReadWaitMs);
        try
        {
            await node.WaitForRevisionAsync(revision, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StatehouseException(ErrorCode.Unavailable, $"This replica is at revision {node.View.Revision}, behind the session token {revision}; retry or read from another node.");
        }

        return node.View;
    }

    /// <summary>A linearizable read point: the leader's applied index after it confirmed its leadership.</summary>
    private async Task<long> ReadIndexAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (node.IsLeader)
            {
                try
                {
                    return await node.ReadIndexAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (StatehouseException ex) when (ex.Code == ErrorCode.NotLeader && attempt < MaxRoutingAttempts)
                {
                    continue;
                }
            }

            if (await LeaderPeerAsync(cancellationToken).ConfigureAwait(false) is not { } leader)
            {
                // This node became the leader meanwhile: serve it here (bounded: leadership may keep moving).
                if (attempt >= MaxRoutingAttempts)
                {
                    throw new StatehouseException(ErrorCode.Unavailable, "Leadership kept moving while the request was routed; retry.");
                }

                continue;
            }

            try
            {
                var reply = await peers.Peer(leader).ReadIndexAsync(new V1.ReadIndexRequest(), deadline: Deadline(), cancellationToken: cancellationToken).ConfigureAwait(false);
                return (long)reply.Index;
            }
            catch (RpcException ex) when (attempt < MaxRoutingAttempts && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(50 * attempt, cancellationToken).ConfigureAwait(false);
                _ = ex;
            }
            catch (RpcException ex)
            {
                throw PeerFailure(ex, "read index");
            }
        }
    }

    /// <summary>Runs a command; an <see cref="ErrorResult"/> becomes a <see cref="StatehouseException"/>.</summary>
    public async ValueTask<T> ExecuteAsync<T>(Command command, CancellationToken cancellationToken)
        where T : CommandResult
    {
        var result = await ExecuteRawAsync(command, cancellationToken).ConfigureAwait(false);
        return result switch
        {
            ErrorResult error => throw error.ToException(),
            T typed => typed,
            _ => throw new InvalidOperationException($"Expected {typeof(T).Name}, got {result.GetType().Name}."),
        };
    }

    /// <summary>Runs a command here when this node leads, else on the leader; returns the result as the leader applied it.</summary>
    /// <remarks>
    /// NotLeader means "this attempt never entered the log". Once an earlier attempt's outcome was unknown (a forward
    /// that timed out or lost its connection may have applied), a final NotLeader would wrongly tell the client its
    /// write did not happen — the fault lab caught exactly that (a write answered 421 that later reads saw). So after
    /// an ambiguous attempt the failure is reported as Unavailable with the outcome unknown.
    /// </remarks>
    public async ValueTask<CommandResult> ExecuteRawAsync(Command command, CancellationToken cancellationToken)
    {
        ThrowIfRemoved();
        var ambiguous = false;
        try
        {
            return await RouteAsync().ConfigureAwait(false);
        }
        catch (StatehouseException ex) when (ambiguous && ex.Code == ErrorCode.NotLeader)
        {
            throw new StatehouseException(ErrorCode.Unavailable, "The write was routed to the leader more than once and an earlier attempt's outcome is unknown; retry with the same request id.", ex);
        }

        async ValueTask<CommandResult> RouteAsync()
        {
            for (var attempt = 1; ; attempt++)
            {
                if (node.IsLeader)
                {
                    try
                    {
                        return await ProposeLocalAsync(command, cancellationToken).ConfigureAwait(false);
                    }
                    catch (StatehouseException ex) when (ex.Code == ErrorCode.NotLeader && node.IsClustered && attempt < MaxRoutingAttempts)
                    {
                        // Not applied (it never entered the log): safe to send to the new leader.
                        continue;
                    }
                }

                // Forwarded writes are retried when the leader changes or cannot be reached; a request id makes every
                // retry of a write that did apply answer with its first result instead of applying twice.
                if (command.RequestId is null)
                {
                    command = command with { RequestId = "fwd-" + Guid.NewGuid().ToString("N") };
                }

                if (await LeaderPeerAsync(cancellationToken).ConfigureAwait(false) is not { } leader)
                {
                    // This node became the leader meanwhile: serve it here (bounded: leadership may keep moving).
                    if (attempt >= MaxRoutingAttempts)
                    {
                        throw new StatehouseException(ErrorCode.Unavailable, "Leadership kept moving while the request was routed; retry.");
                    }

                    continue;
                }

                V1.ForwardResponse reply;
                try
                {
                    reply = await peers.Peer(leader).ForwardAsync(new V1.ForwardRequest { Command = ByteString.CopyFrom(CommandCodec.Encode(new CommandBatch(0, [command]))) },
                        deadline: DateTime.UtcNow + WriteTimeout + TimeSpan.FromSeconds(1), cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && attempt < MaxRoutingAttempts && !cancellationToken.IsCancellationRequested)
                {
                    // The leader could not be reached (the call never arrived, or its outcome is unknown): the same
                    // command, request id included, is sent again; a command that did apply is answered once.
                    ambiguous = true;
                    await Task.Delay(100 * attempt, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch (RpcException ex)
                {
                    throw PeerFailure(ex, "forwarding the write");
                }

                if (reply.ErrorCode == (int)ErrorCode.NotLeader && attempt < MaxRoutingAttempts)
                {
                    await Task.Delay(50 * attempt, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (reply.ErrorCode != 0)
                {
                    throw new StatehouseException((ErrorCode)reply.ErrorCode, reply.ErrorMessage) { LeaderHint = NullIfEmpty(reply.LeaderHint) };
                }

                var decoder = new BinaryDecoder(reply.Result.Span);
                return ResultCodec.Read(ref decoder);
            }
        }
    }

    private async ValueTask<CommandResult> ProposeLocalAsync(Command command, CancellationToken cancellationToken)
    {
        try
        {
            // One timer and one registration per write, no linked token source: this is the hot path.
            return await node.Propose(command).WaitAsync(WriteTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new StatehouseException(ErrorCode.Timeout, $"The write was not confirmed within {WriteTimeout.TotalSeconds:F0} s; it may still apply. Retry with the same request id.");
        }
    }

    /// <summary>Keeps a lease alive on the leader (which owns the lease clock); returns its TTL.</summary>
    public async ValueTask<long> KeepAliveAsync(long leaseId, CancellationToken cancellationToken)
    {
        var reply = await LeaseOnLeaderAsync(leaseId, keepAlive: true, cancellationToken).ConfigureAwait(false);
        return reply.Found ? reply.GrantedSeconds : throw new StatehouseException(ErrorCode.NotFound, $"Lease {leaseId} does not exist.");
    }

    /// <summary>The remaining and granted TTL of a lease as the leader sees it, or null when it does not exist.</summary>
    public async ValueTask<(long RemainingSeconds, long GrantedSeconds)?> TimeToLiveAsync(long leaseId, CancellationToken cancellationToken)
    {
        var reply = await LeaseOnLeaderAsync(leaseId, keepAlive: false, cancellationToken).ConfigureAwait(false);
        return reply.Found ? (reply.RemainingSeconds, reply.GrantedSeconds) : null;
    }

    /// <summary>Answers a lease request here (this node must lead).</summary>
    public V1.PeerLeaseResponse LeaseHere(long leaseId, bool keepAlive)
    {
        if (!node.IsLeader)
        {
            return new V1.PeerLeaseResponse { ErrorCode = (int)ErrorCode.NotLeader, ErrorMessage = "This node is not the leader." };
        }

        if (keepAlive)
        {
            try
            {
                var ttl = node.KeepAlive(leaseId);
                return new V1.PeerLeaseResponse { Found = true, GrantedSeconds = ttl, RemainingSeconds = ttl };
            }
            catch (StatehouseException ex) when (ex.Code == ErrorCode.NotFound)
            {
                return new V1.PeerLeaseResponse { Found = false };
            }
        }

        return node.TimeToLive(leaseId) is { } t
            ? new V1.PeerLeaseResponse { Found = true, RemainingSeconds = t.RemainingSeconds, GrantedSeconds = t.GrantedSeconds }
            : new V1.PeerLeaseResponse { Found = false };
    }

    private async ValueTask<V1.PeerLeaseResponse> LeaseOnLeaderAsync(long leaseId, bool keepAlive, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (node.IsLeader)
            {
                var here = LeaseHere(leaseId, keepAlive);
                if (here.ErrorCode == 0)
                {
                    return here;
                }
            }

            if (await LeaderPeerAsync(cancellationToken).ConfigureAwait(false) is not { } leader)
            {
                // This node became the leader meanwhile: serve it here (bounded: leadership may keep moving).
                if (attempt >= MaxRoutingAttempts)
                {
                    throw new StatehouseException(ErrorCode.Unavailable, "Leadership kept moving while the request was routed; retry.");
                }

                continue;
            }

            try
            {
                var reply = await peers.Peer(leader).LeaseAsync(new V1.PeerLeaseRequest { Id = leaseId, KeepAlive = keepAlive }, deadline: Deadline(), cancellationToken: cancellationToken).ConfigureAwait(false);
                if (reply.ErrorCode == 0)
                {
                    return reply;
                }

                if (attempt >= MaxRoutingAttempts)
                {
                    throw new StatehouseException((ErrorCode)reply.ErrorCode, reply.ErrorMessage);
                }
            }
            catch (RpcException ex) when (attempt < MaxRoutingAttempts && !cancellationToken.IsCancellationRequested)
            {
                _ = ex;
            }
            catch (RpcException ex)
            {
                throw PeerFailure(ex, "the lease request");
            }

            await Task.Delay(50 * attempt, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The leader's gRPC address. Waits up to two election timeouts for one to be known (an election in progress);
    /// then Unavailable (a partitioned minority never has a leader). Null when this node itself became the leader
    /// meanwhile (the caller serves the request here).
    /// </summary>
    public ValueTask<string?> LeaderGrpcAsync(CancellationToken cancellationToken) =>
        LeaderAddressAsync(static m => m.TryGetValue(RaftOptions.MetadataKeys.Grpc, out var grpc) ? grpc : null, cancellationToken);

    /// <summary>The leader's peer listener (node-to-node calls), as <see cref="LeaderGrpcAsync"/> otherwise.</summary>
    public ValueTask<string?> LeaderPeerAsync(CancellationToken cancellationToken) =>
        LeaderAddressAsync(PeerAddress, cancellationToken);

    /// <summary>A member's peer listener from its metadata (a node from before the peer plane: its gRPC port).</summary>
    public static string? PeerAddress(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue(RaftOptions.MetadataKeys.Peer, out var peer) ? peer
        : metadata.TryGetValue(RaftOptions.MetadataKeys.Grpc, out var grpc) ? grpc
        : null;

    private async ValueTask<string?> LeaderAddressAsync(Func<IReadOnlyDictionary<string, string>, string?> pick, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 2 * options.ElectionTimeoutMaxMs / 1000);
        while (true)
        {
            if (!node.IsLeader && await node.LeaderMetadataAsync(cancellationToken).ConfigureAwait(false) is { } metadata
                && pick(metadata) is { } address)
            {
                return address;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new StatehouseException(ErrorCode.Unavailable, "No leader is known to this node (election in progress, or this node is cut off from a majority); retry.");
            }

            await Task.Delay(25, cancellationToken).ConfigureAwait(false);
            if (node.IsLeader)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// A node absent from the committed configuration serves nothing: its state stopped following the cluster, so even
    /// an eventual read could show data the cluster has since deleted (issue 11, item 4).
    /// </summary>
    public void ThrowIfRemoved()
    {
        if (node.RemovedBy is { } by)
        {
            throw new StatehouseException(ErrorCode.Unavailable, $"This node was removed from the cluster by {by} and serves no requests; use another member, or clear its data folder and --join again.");
        }
    }

    private DateTime Deadline() => DateTime.UtcNow + WriteTimeout;

    private static StatehouseException PeerFailure(RpcException ex, string what) =>
        new(ErrorCode.Unavailable, $"The leader could not be reached for {what} ({ex.StatusCode}: {ex.Status.Detail}); retry.", ex);

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    /// <summary>Encodes a result for a forwarded call.</summary>
    internal static ByteString EncodeResult(CommandResult result)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        ResultCodec.Write(new BinaryEncoder(buffer), result);
        return ByteString.CopyFrom(buffer.WrittenSpan);
    }
}
