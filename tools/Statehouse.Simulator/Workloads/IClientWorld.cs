using Statehouse.Simulator.Core;
using Statehouse.Simulator.Running;

namespace Statehouse.Simulator.Workloads;

/// <summary>What a simulated client needs from the world.</summary>
internal interface IClientWorld
{
    long NowUs { get; }

    RunConfig Config { get; }

    /// <summary>After the faulty phase clients start no new operation.</summary>
    bool WorkloadsStopped { get; }

    History History { get; }

    /// <summary>Sends a request to node <paramref name="node"/>.</summary>
    void Send(ClientRequest request, int node);

    /// <summary>Schedules a client event.</summary>
    void Schedule(long atUs, SimEvent simEvent);
}
