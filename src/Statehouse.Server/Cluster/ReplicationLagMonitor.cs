using Microsoft.Extensions.Hosting;
using Statehouse.Core;

namespace Statehouse.Server.Cluster;

/// <summary>On the leader, samples each follower's applied index every few seconds for the replication-lag metric.</summary>
internal sealed class ReplicationLagMonitor(NodeGateway gateway, ClusterDirectory directory) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var node = gateway.Node;
        if (!node.IsClustered)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (!node.IsLeader)
                {
                    node.ReplicationLag = new Dictionary<string, long>();
                    continue;
                }

                try
                {
                    var members = await directory.MembersAsync(stoppingToken).ConfigureAwait(false);
                    node.ReplicationLag = members.Members.Where(m => m.Id != node.NodeId).ToDictionary(m => m.Id, m => m.Lag);
                }
                catch (StatehouseException)
                {
                    // No leader or membership in flux: sample again next tick.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
