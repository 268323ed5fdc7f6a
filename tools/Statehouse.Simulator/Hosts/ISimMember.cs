using Statehouse.Raft;

namespace Statehouse.Simulator.Hosts;

/// <summary>
/// One member of one group on one node, whichever engine runs it: a <see cref="ModelHost"/> (the core behind a model
/// host, issue 12) or a <see cref="HostedMember"/> (a group of the real <c>ReplicaHost</c>, issue 13).
/// </summary>
internal interface ISimMember
{
    /// <summary>The node it runs on.</summary>
    int Node { get; }

    GroupId Group { get; }

    NodeId Member { get; }

    /// <summary>The core, for the checks and the operator (read-only use); null while down or after it retired.</summary>
    RaftNode? Core { get; }

    /// <summary>The highest index its state machine applied.</summary>
    LogIndex Applied { get; }

    /// <summary>Inputs dropped because a queue was full.</summary>
    long InputsDropped { get; }

    /// <summary>The term of the entry at <paramref name="index"/> in what it stored.</summary>
    bool TryGetStoredTerm(LogIndex index, out Term term);

    /// <summary>Hands it an input (a message, a client request, an operator's step).</summary>
    void Enqueue(HostInput input);
}
