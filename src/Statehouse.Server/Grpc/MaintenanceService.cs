using Grpc.Core;
using Statehouse.Core;
using Statehouse.Core.Model;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Grpc;

/// <summary>The Maintenance service: status, snapshot, compaction, keyspaces.</summary>
internal sealed class MaintenanceService(NodeGateway gateway) : V1.Maintenance.MaintenanceBase
{
    private string NodeId => gateway.Node.NodeId;

    public override Task<V1.StatusResponse> Status(V1.StatusRequest request, ServerCallContext context) =>
        Task.FromResult(BuildStatus(gateway));

    internal static V1.StatusResponse BuildStatus(NodeGateway gateway)
    {
        var node = gateway.Node;
        var view = node.View;
        return new V1.StatusResponse
        {
            Header = ProtoMapper.Header(view, node.NodeId),
            Version = typeof(MaintenanceService).Assembly.GetName().Version?.ToString() ?? "0.0.0",
            Revision = view.Revision,
            CompactRevision = view.CompactRevision,
            AppliedIndex = (ulong)view.AppliedIndex,
            CommitIndex = (ulong)node.CommitIndex,
            Keys = view.TotalKeys,
            Bytes = view.TotalBytes,
            UptimeMs = (long)node.Uptime.TotalMilliseconds,
            Leases = view.Leases.Count,
            Leader = node.IsLeader ? node.NodeId : gateway.LeaderIdHint ?? "",
            Term = node.Term,
            SnapshotIndex = (ulong)node.SnapshotIndex,
            WalBytes = node.LogBytes,
        };
    }

    public override async Task<V1.SnapshotResponse> Snapshot(V1.SnapshotRequest request, ServerCallContext context)
    {
        var report = await gateway.Node.SnapshotAsync(context.CancellationToken).ConfigureAwait(false);
        return new V1.SnapshotResponse
        {
            Header = ProtoMapper.Header(gateway.ReadView(), NodeId),
            Index = (ulong)report.Index,
            Revision = report.Revision,
            Bytes = report.Bytes,
            Path = report.Path,
            DurationMs = (long)report.Duration.TotalMilliseconds,
        };
    }

    public override async Task<V1.CompactResponse> Compact(V1.CompactRequest request, ServerCallContext context)
    {
        // 0 is proto3's "unset" and means the current revision, as the contract says; a negative one is refused.
        if (request.Revision < 0)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, $"revision must not be negative (0 = the current revision); got {request.Revision}.");
        }

        var revision = request.Revision > 0 ? request.Revision : gateway.ReadView().Revision;
        var result = await gateway.ExecuteAsync<CompactResult>(new CompactCommand(revision) { RequestId = ProtoMapper.RequestId(request.RequestId) }, context.CancellationToken).ConfigureAwait(false);
        return new V1.CompactResponse { Header = ProtoMapper.Header(gateway.ReadView(), NodeId, result.Revision), CompactRevision = result.CompactRevision };
    }

    public override async Task<V1.CreateKeyspaceResponse> CreateKeyspace(V1.CreateKeyspaceRequest request, ServerCallContext context)
    {
        var c = request.Config ?? throw new StatehouseException(ErrorCode.InvalidArgument, "A keyspace config is required.");
        var config = new KeyspaceConfig(c.Name, c.MaxKeyBytes, c.MaxValueBytes, c.MaxKeys);
        var result = await gateway.ExecuteAsync<CreateKeyspaceResult>(new CreateKeyspaceCommand(config) { RequestId = ProtoMapper.RequestId(request.RequestId) }, context.CancellationToken).ConfigureAwait(false);
        return new V1.CreateKeyspaceResponse { Header = ProtoMapper.Header(gateway.ReadView(), NodeId, result.Revision), Config = ToProto(result.Config) };
    }

    public override Task<V1.ListKeyspacesResponse> ListKeyspaces(V1.ListKeyspacesRequest request, ServerCallContext context)
    {
        var view = gateway.ReadView();
        var response = new V1.ListKeyspacesResponse { Header = ProtoMapper.Header(view, NodeId) };
        foreach (var ks in view.Keyspaces.Values.OrderBy(k => k.Config.Name, StringComparer.Ordinal))
        {
            response.Keyspaces.Add(new V1.KeyspaceInfo { Config = ToProto(ks.Config), Keys = ks.LiveKeys, Bytes = ks.LiveBytes });
        }

        return Task.FromResult(response);
    }

    private static V1.KeyspaceConfig ToProto(KeyspaceConfig c) => new() { Name = c.Name, MaxKeyBytes = c.MaxKeyBytes, MaxValueBytes = c.MaxValueBytes, MaxKeys = c.MaxKeys };
}
