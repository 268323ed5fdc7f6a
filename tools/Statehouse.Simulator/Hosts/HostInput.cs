using Statehouse.Raft;
using Statehouse.Simulator.Workloads;

namespace Statehouse.Simulator.Hosts;

/// <summary>Something a host hands its core; it waits in the host's inbox while the core is busy persisting.</summary>
internal abstract record HostInput;

/// <summary>A message from another member.</summary>
internal sealed record StepInput(Message Message) : HostInput;

/// <summary>A tick of the node's clock.</summary>
internal sealed record TickInput : HostInput
{
    public static TickInput Instance { get; } = new();
}

/// <summary>A client's request.</summary>
internal sealed record RequestInput(ClientRequest Request) : HostInput;

/// <summary>The operator asks the leader to hand over to <paramref name="Target"/>.</summary>
internal sealed record TransferInput(NodeId Target) : HostInput;

/// <summary>The operator proposes a membership change; <paramref name="OnResult"/> hears whether the leader took it.</summary>
internal sealed record ConfigChangeInput(ConfigChange Change, Action<ProposeResult> OnResult) : HostInput;
