using Statehouse.Raft;
using Statehouse.Simulator.Core;

namespace Statehouse.Simulator.Hosts;

/// <summary>One group's member on a node that runs the real replica host (<see cref="SimNodeHost"/>).</summary>
internal sealed class HostedMember(SimNodeHost owner, GroupId group, NodeId member, Configuration bootstrap) : ISimMember
{
    /// <inheritdoc />
    public int Node => owner.Index;

    /// <inheritdoc />
    public GroupId Group { get; } = group;

    /// <inheritdoc />
    public NodeId Member { get; } = member;

    /// <summary>The membership it was created with (founding voters, or empty for a joiner).</summary>
    public Configuration Bootstrap { get; } = bootstrap;

    /// <summary>Its state machine in the node's current life (null while the node is down).</summary>
    public SimGroupMachine? Machine { get; set; }

    /// <summary>Whether it left the group for good.</summary>
    public bool Retired { get; set; }

    /// <inheritdoc />
    public RaftNode? Core => Retired ? null : owner.Host?.CoreOf(Group);

    /// <inheritdoc />
    public LogIndex Applied => Machine?.Applied ?? LogIndex.Zero;

    /// <inheritdoc />
    public long InputsDropped => 0;

    /// <inheritdoc />
    public bool TryGetStoredTerm(LogIndex index, out Term term)
    {
        var stored = owner.Store?.Log.Find(Group.Value);
        if (stored is null || !stored.TryGetTerm(index.Value, out var value))
        {
            term = Term.Zero;
            return stored is null && index == LogIndex.Zero;
        }

        term = new Term(value);
        return true;
    }

    /// <inheritdoc />
    public void Enqueue(HostInput input)
    {
        var host = owner.Host;
        if (host is null || Retired || !host.Hosts(Group))
        {
            return;
        }

        switch (input)
        {
            case StepInput { Message: var message }:
                host.Step(message);
                break;
            case RequestInput { Request: var request }:
                Machine!.HandleRequest(host, request);
                break;
            case TransferInput { Target: var target }:
                host.TransferLeadership(Group, target, _ => { });
                break;
            case ConfigChangeInput change:
                host.ProposeConfigChange(Group, change.Change, change.OnResult);
                break;
            default:
                throw new SimulatorAssertException($"a hosted member got {input}");
        }

        host.Pump();
    }
}
