using Statehouse.Raft;
using Statehouse.Simulator.Core;
using Statehouse.Simulator.Faults;
using Statehouse.Simulator.Hosts;

namespace Statehouse.Simulator.Running;

internal sealed partial class Simulation
{
    private readonly GroupAdmin[] _admins;

    /// <summary>
    /// The operator's next membership step in a group, one change at a time: promote a learner; else remove a voter
    /// when there are more than the group started with; else add a learner on a node that hosts no member of the
    /// group (a fresh member id, empty disks, empty configuration); else remove a voter to make room. Never below two
    /// voters. A step waits until the previous change is resolved (committed, or its entry replaced).
    /// </summary>
    private bool MembershipStep(Fault fault)
    {
        var admin = _admins[fault.Group];
        if (admin.Pending is not null || (admin.ProposingSinceUs is { } since && NowUs - since < 1_000_000))
        {
            return false;
        }

        admin.ProposingSinceUs = null;
        if (LeaderOf(fault.Group) is not { Core: { } core } leader)
        {
            return false;
        }

        var configuration = core.Configuration;
        var voters = configuration.Voters;
        ISimMember? joiner = null;
        ConfigChange change;
        if (configuration.Learners.Count > 0)
        {
            change = new ConfigChange(ConfigChangeKind.PromoteLearner, configuration.Learners[0], default);
        }
        else if (voters.Count > Config.VotersPerGroup && voters.Count > 2)
        {
            change = new ConfigChange(ConfigChangeKind.Remove, voters[(int)(fault.Salt % (ulong)voters.Count)], default);
        }
        else if (FreeNode(configuration, leader.Group, fault.Salt) is { } free)
        {
            // No clean-up of other hosts of the group on that node: the leader's configuration may hold a removal that
            // never commits, so such a host may still be a member. Joiners whose addition failed retire on their own.
            var id = new NodeId(((ulong)admin.Joins[free]++ + 1) * IdStride + (ulong)free + 1);
            joiner = NewMember(free, leader.Group, id, Configuration.Empty);
            AddHost(joiner);
            if (joiner is ModelHost model)
            {
                model.Start();
            }
            change = new ConfigChange(ConfigChangeKind.AddLearner, id, default);
        }
        else if (voters.Count > 2)
        {
            change = new ConfigChange(ConfigChangeKind.Remove, voters[(int)(fault.Salt % (ulong)voters.Count)], default);
        }
        else
        {
            return false;
        }

        admin.ProposingSinceUs = NowUs;
        Count("membership changes proposed");
        leader.Enqueue(new ConfigChangeInput(change, result =>
        {
            Log?.WriteLine($"{NowUs} membership {change} proposed to {leader.Member} of {leader.Group}: {result}");
            admin.ProposingSinceUs = null;
            if (result.Accepted)
            {
                admin.Pending = new PendingChange(result.Index, result.Term, change, joiner);
            }
            else if (joiner is not null)
            {
                _queue.Schedule(NowUs, new MemberRetires(joiner.Group, joiner.Member));
            }
        }));
        return true;
    }

    /// <summary>
    /// A node that is up and hosts no member of <paramref name="configuration"/>, picked by the salt. A node running
    /// the replica host holds one member per group: it must not hold one still (a member out of the configuration
    /// whose retirement is pending).
    /// </summary>
    private int? FreeNode(Configuration configuration, GroupId group, ulong salt)
    {
        var used = configuration.Members.Select(NodeOf).ToHashSet();
        var free = Enumerable.Range(0, _nodes.Length)
            .Where(n => _nodes[n].Up && !used.Contains(n) && !(_nodes[n].Engine?.HoldsGroup(group) ?? false)).ToList();
        return free.Count == 0 ? null : free[(int)(salt % (ulong)free.Count)];
    }

    /// <inheritdoc />
    public void OnApplied(ISimMember host, Entry entry)
    {
        var admin = _admins[host.Group.Value - 1];
        if (admin.Pending is not { } pending || entry.Index != pending.Index)
        {
            return;
        }

        admin.Pending = null;
        Log?.WriteLine($"{NowUs} membership {pending.Change} at {pending.Index}/{pending.Term}: {host.Member} applied {entry.Index}/{entry.Term}");
        if (entry.Term == pending.Term)
        {
            Count("membership changes committed");
            if (pending.Change.Kind == ConfigChangeKind.Remove)
            {
                // The operator retires the removed member a little later (it may still be answering its last messages).
                _queue.Schedule(NowUs + 20_000 + (long)(pending.Index.Value % 100 * 1_000), new MemberRetires(host.Group, pending.Change.Node));
            }
        }
        else if (pending.Joiner is { } joiner)
        {
            // The addition's entry was replaced by another leader's: the joiner never became a member.
            _queue.Schedule(NowUs, new MemberRetires(joiner.Group, joiner.Member));
        }
    }

    /// <summary>The operator's view of one group's membership changes.</summary>
    private sealed class GroupAdmin(int nodes)
    {
        /// <summary>Joins so far per node (the next member id on a node is fresh).</summary>
        public int[] Joins { get; } = new int[nodes];

        /// <summary>A change the leader accepted, until an entry is applied at its index.</summary>
        public PendingChange? Pending { get; set; }

        /// <summary>When a change was handed to a leader that has not taken it yet (a crash may swallow it).</summary>
        public long? ProposingSinceUs { get; set; }
    }

    private sealed record PendingChange(LogIndex Index, Term Term, ConfigChange Change, ISimMember? Joiner);
}
