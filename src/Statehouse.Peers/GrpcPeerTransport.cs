using System.Threading.Channels;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Statehouse.Peers.V1;
using Statehouse.Raft;
using Statehouse.Replication;

namespace Statehouse.Peers;

/// <summary>Limits of the peer transport; every queue is bounded.</summary>
public sealed record PeerTransportOptions
{
    /// <summary>Batches waiting per destination node; beyond, new batches are dropped (Raft resends).</summary>
    public int MaxQueuedBatchesPerPeer { get; init; } = 1_024;

    /// <summary>Wait before a broken stream is opened again.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Largest message a stream carries (a snapshot chunk or an append batch must fit).</summary>
    public int MaxMessageBytes { get; init; } = 64 << 20;
}

/// <summary>
/// The host's transport on the peer plane: one client-streaming <c>Deliver</c> call per destination node, fed by a
/// bounded queue; a broken stream is reopened after <see cref="PeerTransportOptions.ReconnectDelay"/>. Never blocks
/// the host's loop: a full queue drops the batch, which Raft's retries make good.
/// </summary>
public sealed class GrpcPeerTransport : IPeerTransport, IAsyncDisposable
{
    /// <summary>The header that names the calling node.</summary>
    public const string NodeHeader = "statehouse-node";

    private readonly PeerDirectory _directory;
    private readonly PeerTransportOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<NodeId, PeerLink> _links = [];
    private readonly CancellationTokenSource _stop = new();
    private long _dropped;
    private long _sent;
    private long _reconnects;

    public GrpcPeerTransport(PeerDirectory directory, PeerTransportOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        _directory = directory;
        _options = options ?? new PeerTransportOptions();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Messages dropped: no address for their node, or its queue full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Messages written to a stream.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Streams opened again after a failure.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <inheritdoc />
    public void Send(IReadOnlyList<Message> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var perNode in messages.GroupBy(m => _directory.NodeOf(m.To)))
        {
            var batch = new MessageBatch();
            foreach (var message in perNode)
            {
                batch.Messages.Add(RaftMessageCodec.Encode(message));
            }

            var link = LinkTo(perNode.Key);
            if (link is null || !link.Queue.Writer.TryWrite(batch))
            {
                Interlocked.Add(ref _dropped, batch.Messages.Count);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        PeerLink[] links;
        lock (_links)
        {
            links = [.. _links.Values];
            _links.Clear();
        }

        foreach (var link in links)
        {
            link.Queue.Writer.TryComplete();
            await link.Pump.ConfigureAwait(false);
            link.Channel.Dispose();
        }

        _stop.Dispose();
    }

    private PeerLink? LinkTo(NodeId node)
    {
        lock (_links)
        {
            if (_links.TryGetValue(node, out var link))
            {
                return link;
            }

            if (_stop.IsCancellationRequested || _directory.AddressOf(node) is not { } address)
            {
                return null;
            }

            var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                MaxSendMessageSize = _options.MaxMessageBytes,
                MaxReceiveMessageSize = _options.MaxMessageBytes,
            });
            // DropWrite answers TryWrite with true even when it drops: the callback counts what was dropped.
            var queue = Channel.CreateBounded<MessageBatch>(new BoundedChannelOptions(_options.MaxQueuedBatchesPerPeer)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.DropWrite,
            }, dropped => Interlocked.Add(ref _dropped, dropped.Messages.Count));
            link = new PeerLink(node, channel, queue);
            link.Pump = Task.Run(() => PumpAsync(link));
            _links.Add(node, link);
            return link;
        }
    }

    private async Task PumpAsync(PeerLink link)
    {
        var client = new V1.Replication.ReplicationClient(link.Channel);
        var headers = new Metadata { { NodeHeader, _directory.Self.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
        var reader = link.Queue.Reader;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var call = client.Deliver(headers, cancellationToken: _stop.Token);
                while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
                {
                    while (reader.TryRead(out var batch))
                    {
                        await call.RequestStream.WriteAsync(batch, _stop.Token).ConfigureAwait(false);
                        Interlocked.Add(ref _sent, batch.Messages.Count);
                    }
                }

                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException e)
            {
                // One line, no stack trace: a peer that is down or restarting is expected.
                Log.PeerStreamBroken(_logger, link.Node.Value, e.StatusCode, e.Status.Detail);
            }
#pragma warning disable CA1031 // Whatever breaks a stream, the link must live on: it reopens the stream.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.PeerStreamBroken(_logger, link.Node.Value, StatusCode.Unavailable, $"{e.GetType().Name}: {e.Message}");
            }

            Interlocked.Increment(ref _reconnects);
            try
            {
                await Task.Delay(_options.ReconnectDelay, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private sealed class PeerLink(NodeId node, GrpcChannel channel, Channel<MessageBatch> queue)
    {
        public NodeId Node { get; } = node;

        public GrpcChannel Channel { get; } = channel;

        public Channel<MessageBatch> Queue { get; } = queue;

        public Task Pump { get; set; } = Task.CompletedTask;
    }
}
