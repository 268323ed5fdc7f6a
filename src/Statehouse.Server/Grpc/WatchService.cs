using Grpc.Core;
using Statehouse.Core.Model;
using Statehouse.Core.Store;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Grpc;

/// <summary>The Watch service: history replay then live changes, with progress notifications.</summary>
internal sealed class WatchService(NodeGateway gateway) : V1.Watch.WatchBase
{
    public override async Task Watch(V1.WatchRequest request, IServerStreamWriter<V1.WatchResponse> responseStream, ServerCallContext context)
    {
        var filter = new WatchFilter(
            ProtoMapper.Keyspace(request.Keyspace),
            request.Key.ToByteArray(),
            request.RangeEnd.IsEmpty ? null : request.RangeEnd.ToByteArray(),
            request.Prefix);
        var interval = TimeSpan.FromMilliseconds(request.ProgressIntervalMs > 0 ? Math.Max(100, request.ProgressIntervalMs) : gateway.Options.WatchProgressIntervalMs);
        await foreach (var batch in WatchStream.RunAsync(gateway, filter, request.FromRevision, interval, context.GetHttpContext().Connection.Id, context.CancellationToken).ConfigureAwait(false))
        {
            var response = new V1.WatchResponse
            {
                Header = ProtoMapper.Header(gateway.ReadView(), gateway.Node.NodeId, batch.Revision),
                Progress = batch.Progress,
                Fragment = batch.Fragment,
            };
            foreach (var e in batch.Events)
            {
                response.Events.Add(ToProto(e, request.PrevKv));
            }

            await responseStream.WriteAsync(response, context.CancellationToken).ConfigureAwait(false);
        }
    }

    internal static V1.Event ToProto(WatchEvent e, bool prevKv)
    {
        var current = e.Current;
        var kv = current.IsTombstone
            ? new V1.KeyValue { Key = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(e.Key), ModRevision = current.ModRevision }
            : ProtoMapper.ToProto(KeyValue.From(e.Key, current));
        var evt = new V1.Event
        {
            Type = e.Kind switch
            {
                ChangeKind.Put => V1.Event.Types.EventType.Put,
                ChangeKind.Delete => V1.Event.Types.EventType.Delete,
                _ => V1.Event.Types.EventType.Expire,
            },
            Kv = kv,
        };
        if (prevKv && e.PreviousKv is { } previous)
        {
            evt.PrevKv = ProtoMapper.ToProto(previous);
        }

        return evt;
    }
}
