using System.Net;
using Grpc.Core;
using Statehouse.Cluster;
using Statehouse.Core;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Cluster;

/// <summary>Who is in the cluster, where to reach them, and how far each one is (GET /v1/cluster, Cluster.Members).</summary>
public sealed class ClusterDirectory(StatehouseNode node, ServerOptions options, PeerChannels peers)
{
    /// <summary>This node's own entry.</summary>
    /// <remarks>
    /// Available means "serves requests as a member": false once the Raft group stopped (removed from the cluster, or
    /// down after a failed recovery) or the node stopped taking writes, though the process still answers the probe.
    /// </remarks>
    public V1.ClusterMember Self()
    {
        var state = node.RemovedBy is not null ? "removed"
            : node.IsClustered && !node.RaftGroupRunning ? "stopped"
            : node.Fatal is not null ? "unhealthy"
            : "serving";
        return new()
        {
            Id = node.NodeId,
            RaftAddress = options.RaftEndpoint ?? "",
            HttpAddress = options.HttpEndpoint,
            GrpcAddress = options.GrpcEndpoint,
            PeerAddress = node.IsClustered ? options.EffectivePeerEndpoint ?? "" : "",
            Incarnation = node.Options.Raft?.Metadata.GetValueOrDefault(RaftOptions.MetadataKeys.Incarnation) ?? "",
            Role = state != "serving" && state != "unhealthy" ? "unknown" : !node.IsClustered || node.IsLeader ? "leader" : "follower",
            Available = state == "serving",
            State = state,
            AppliedIndex = (ulong)node.View.AppliedIndex,
            CommitIndex = (ulong)node.CommitIndex,
            Revision = node.View.Revision,
            Term = (ulong)node.Term,
            Lag = 0,
        };
    }

    /// <summary>The membership with each member's progress (members that do not answer within 1 s show as unavailable).</summary>
    public async Task<V1.ClusterMembersResponse> MembersAsync(CancellationToken cancellationToken)
    {
        var response = new V1.ClusterMembersResponse { Clustered = node.IsClustered, Term = (ulong)node.Term };
        if (!node.IsClustered)
        {
            var self = Self();
            response.LeaderId = self.Id;
            response.Members.Add(self);
            return response;
        }

        var members = await node.MembersAsync(cancellationToken).ConfigureAwait(false);
        var probes = members.Select(m => ProbeAsync(m, cancellationToken)).ToList();
        var entries = await Task.WhenAll(probes).ConfigureAwait(false);
        var leader = entries.FirstOrDefault(e => e.Role == "leader" && members[Array.IndexOf(entries, e)].IsLeader)
                     ?? entries.FirstOrDefault(e => e.Role == "leader");
        var leaderApplied = leader is null ? -1 : (long)leader.AppliedIndex;
        foreach (var e in entries)
        {
            e.Lag = !e.Available || leaderApplied < 0 ? -1 : Math.Max(0, leaderApplied - (long)e.AppliedIndex);
            response.Members.Add(e);
        }

        response.LeaderId = leader?.Id ?? "";
        return response;
    }

    private async Task<V1.ClusterMember> ProbeAsync(RaftMemberInfo member, CancellationToken cancellationToken)
    {
        if (member.IsLocal)
        {
            return Self();
        }

        var metadata = member.Metadata;
        var entry = new V1.ClusterMember
        {
            Id = Meta(metadata, RaftOptions.MetadataKeys.NodeId) ?? member.RaftEndpoint.ToString() ?? "",
            RaftAddress = Format(member.RaftEndpoint),
            HttpAddress = Meta(metadata, RaftOptions.MetadataKeys.Http) ?? "",
            GrpcAddress = Meta(metadata, RaftOptions.MetadataKeys.Grpc) ?? "",
            PeerAddress = metadata is null ? "" : NodeGateway.PeerAddress(metadata) ?? "",
            Role = member.IsLeader ? "leader" : "follower",
            Available = false,
            State = "unreachable",
            Lag = -1,
        };
        if (entry.PeerAddress.Length == 0)
        {
            entry.Role = "unknown";
            return entry;
        }

        try
        {
            var status = await peers.Peer(entry.PeerAddress).NodeStatusAsync(new V1.NodeStatusRequest(), deadline: DateTime.UtcNow.AddSeconds(1), cancellationToken: cancellationToken).ConfigureAwait(false);
            status.RaftAddress = entry.RaftAddress;
            return status;
        }
        catch (RpcException)
        {
            return entry;
        }
    }

    /// <summary>Finds a member's Raft endpoint by node id or by Raft address.</summary>
    public async Task<EndPoint> ResolveAsync(string member, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(member))
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "Name a member by node id or Raft address.");
        }

        foreach (var m in await node.MembersAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Meta(m.Metadata, RaftOptions.MetadataKeys.NodeId) == member || Format(m.RaftEndpoint) == member)
            {
                return m.RaftEndpoint;
            }
        }

        // A dead member may not answer for its id: the founding list still knows it.
        foreach (var entry in options.InitialCluster)
        {
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && entry[..eq] == member)
            {
                return StatehouseServer.ParseEndpoint(entry[(eq + 1)..], "--initial-cluster");
            }
        }

        return member.Contains(':', StringComparison.Ordinal)
            ? StatehouseServer.ParseEndpoint(member, "member")
            : throw new StatehouseException(ErrorCode.NotFound, $"No member '{member}' (by id or Raft address).");
    }

    private static string? Meta(IReadOnlyDictionary<string, string>? metadata, string key) =>
        metadata is not null && metadata.TryGetValue(key, out var value) ? value : null;

    private static string Format(EndPoint endpoint) => endpoint is IPEndPoint ip ? ip.ToString() : endpoint.ToString() ?? "";
}
