namespace Statehouse.Simulator.Running;

/// <summary>What runs the members of the simulated groups.</summary>
internal enum SimEngine
{
    /// <summary>One model host per member, following the Ready contract to the letter: the core's own proof (issue 12).</summary>
    Model,

    /// <summary>One real <c>ReplicaHost</c> per node, all its groups sharing one store and one fsync per batch (issue 13).</summary>
    Host,
}
