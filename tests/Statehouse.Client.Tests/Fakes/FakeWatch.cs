using System.Collections.Concurrent;
using Grpc.Core;
using Statehouse.V1;

namespace Statehouse.Client.Tests.Fakes;

/// <summary>A Watch service whose behaviour per stream is set by the test.</summary>
internal sealed class FakeWatch : Watch.WatchBase
{
    /// <summary>Every watch request received, in order.</summary>
    public ConcurrentQueue<WatchRequest> Requests { get; } = new();

    /// <summary>Serves one stream; the argument is the 0-based index of the connection.</summary>
    public Func<int, WatchRequest, IServerStreamWriter<WatchResponse>, ServerCallContext, Task>? Handler { get; set; }

    public override Task Watch(WatchRequest request, IServerStreamWriter<WatchResponse> responseStream, ServerCallContext context)
    {
        Requests.Enqueue(request);
        var handler = Handler ?? throw new RpcException(new Status(StatusCode.Unimplemented, "no handler"));
        return handler(Requests.Count - 1, request, responseStream, context);
    }
}
