using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Statehouse.Cluster;
using V1 = Statehouse.V1;

namespace Statehouse.Server.Cluster;

/// <summary>
/// Tells a member that the cluster removed it, without trusting anyone's word for it: a follower asks the leader, every
/// <see cref="ServerOptions.MembershipCheckIntervalMs"/> and whenever a removal notice arrives, whether its committed
/// configuration still lists this node. When the leader's does not, the node stops its Raft group and serves nothing
/// (issue 11, items 1 and 4): a removed member that was down when it was removed, or restarted since (its old notice
/// carries an old incarnation), finds out by itself instead of serving stale data as healthy.
/// </summary>
/// <remarks>
/// Only a node whose own configuration is not empty checks: a node started with --join is not a member until the
/// leader adds it (its configuration is empty until then). One check at a time; each peer call is bounded by 1 s.
/// </remarks>
public sealed class MembershipCheck(StatehouseNode node, ServerOptions options, PeerChannels peers, ILogger<MembershipCheck> logger) : BackgroundService
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>The outcome of a check.</summary>
    public readonly record struct Verdict(bool Removed, string Reason);

    /// <summary>This process's incarnation (random per start), which a removal notice must name.</summary>
    public string Incarnation =>
        node.Options.Raft?.Metadata.GetValueOrDefault(RaftOptions.MetadataKeys.Incarnation) ?? "";

    /// <summary>Asks the leader now; stops the node's Raft group when the leader's configuration lacks this node.</summary>
    public async Task<Verdict> CheckNowAsync(CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CheckAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _one.Release();
        }
    }

    private async Task<Verdict> CheckAsync(CancellationToken cancellationToken)
    {
        if (!node.IsClustered)
        {
            return new(false, "a single node has no membership");
        }

        if (node.RemovedBy is { } by)
        {
            return new(true, $"already removed by {by}");
        }

        if (!node.RaftGroupRunning)
        {
            return new(false, "the Raft group is down (a recovery is in progress)");
        }

        var self = node.SelfRaftAddress!;
        if (node.ConfigurationAddresses.Count == 0)
        {
            return new(false, "not a member yet (waiting to be added)");
        }

        if (node.IsLeader)
        {
            return new(false, "this node leads");
        }

        // The known leader first; with none known (a removed member gets no heartbeats), every member this node knows.
        var members = await node.MembersAsync(cancellationToken).ConfigureAwait(false);
        var leaderFirst = members.Where(m => !m.IsLocal).OrderByDescending(m => m.IsLeader).ToList();
        foreach (var member in leaderFirst)
        {
            if (member.Metadata is not { } metadata || NodeGateway.PeerAddress(metadata) is not { } address)
            {
                continue;
            }

            V1.MembershipResponse answer;
            try
            {
                answer = await peers.Peer(address).MembershipAsync(new V1.MembershipRequest(), deadline: DateTime.UtcNow + CallTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException)
            {
                continue;
            }

            if (!answer.IsLeader)
            {
                continue;
            }

            if (answer.RaftAddresses.Contains(self))
            {
                return new(false, $"the leader {answer.NodeId} lists this node in its configuration");
            }

            Log.AbsentFromConfiguration(logger, answer.NodeId, (long)answer.Term, string.Join(",", answer.RaftAddresses));
            await node.LeaveClusterAsync(answer.NodeId).ConfigureAwait(false);
            return new(true, $"the leader {answer.NodeId} no longer lists this node");
        }

        return new(false, "no leader answered");
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!node.IsClustered || options.MembershipCheckIntervalMs <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.MembershipCheckIntervalMs));
        try
        {
            while (node.RemovedBy is null && await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await CheckNowAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Membership in flux or the leader unreachable: check again next tick.
                    Log.MembershipCheckFailed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _one.Dispose();
        base.Dispose();
    }
}
