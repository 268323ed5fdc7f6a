using System.Collections.Concurrent;
using Grpc.Core;
using Statehouse.V1;

namespace Statehouse.Client.Tests.Fakes;

/// <summary>A Lease service whose keep-alive answers come from a script.</summary>
internal sealed class FakeLease : Lease.LeaseBase
{
    /// <summary>The TTLs to answer keep-alives with, in order; when empty, the last one repeats.</summary>
    public ConcurrentQueue<long> KeepAliveTtls { get; } = new();

    /// <summary>How many keep-alive requests arrived.</summary>
    public int KeepAliveCount => _keepAlives;

    private int _keepAlives;
    private long _lastTtl = 1;

    public override Task<LeaseGrantResponse> Grant(LeaseGrantRequest request, ServerCallContext context) =>
        Task.FromResult(new LeaseGrantResponse { Header = new ResponseHeader { Revision = 1 }, Id = request.Id == 0 ? 42 : request.Id, TtlSeconds = request.TtlSeconds });

    public override async Task KeepAlive(IAsyncStreamReader<LeaseKeepAliveRequest> requestStream, IServerStreamWriter<LeaseKeepAliveResponse> responseStream, ServerCallContext context)
    {
        while (await requestStream.MoveNext(context.CancellationToken))
        {
            Interlocked.Increment(ref _keepAlives);
            if (KeepAliveTtls.TryDequeue(out var ttl))
            {
                _lastTtl = ttl;
            }

            await responseStream.WriteAsync(new LeaseKeepAliveResponse { Header = new ResponseHeader { Revision = 1 }, Id = requestStream.Current.Id, TtlSeconds = _lastTtl });
        }
    }
}
