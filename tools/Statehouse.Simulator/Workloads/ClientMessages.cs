using Statehouse.Raft;

namespace Statehouse.Simulator.Workloads;

/// <summary>What a client asks.</summary>
internal enum ClientOpKind : byte
{
    Write,
    CompareAndSet,
    Read,
    Transfer,
    ReadBalances,
}

/// <summary>A client's request to a node for one group.</summary>
/// <param name="Client">The client (unique in the run).</param>
/// <param name="OpId">The operation (unique per client); redirects resend the same one.</param>
/// <param name="Attempt">Which send of the operation this is (a reply to an older send is stale).</param>
/// <param name="Group">The group it is for.</param>
/// <param name="Kind">What it asks.</param>
/// <param name="Key">The register, or the source account of a transfer.</param>
/// <param name="Value">The value to write or swap in.</param>
/// <param name="Expected">Compare-and-set: the value required (null = absent).</param>
/// <param name="To">Transfer: the destination account.</param>
/// <param name="Amount">Transfer: the amount.</param>
internal sealed record ClientRequest(int Client, long OpId, int Attempt, GroupId Group, ClientOpKind Kind, string Key, string? Value, string? Expected, string? To, long Amount)
{
    /// <summary>Whether it changes state (goes through the log) rather than reading.</summary>
    public bool IsWrite => Kind is ClientOpKind.Write or ClientOpKind.CompareAndSet or ClientOpKind.Transfer;

    /// <summary>The command it proposes (writes only).</summary>
    public Command ToCommand() => new(
        Kind switch
        {
            ClientOpKind.Write => CommandKind.Write,
            ClientOpKind.CompareAndSet => CommandKind.CompareAndSet,
            _ => CommandKind.Transfer,
        },
        Client, OpId, Key, Value, Expected, To, Amount);
}

/// <summary>How a node answered.</summary>
internal enum ReplyStatus : byte
{
    /// <summary>Done (applied, or read).</summary>
    Ok,

    /// <summary>Not the leader (nothing was appended): try <see cref="ClientReply.LeaderNode"/>.</summary>
    NotLeader,

    /// <summary>The leader refused the proposal for now (nothing was appended): retry.</summary>
    Busy,

    /// <summary>The proposal's entry was replaced by another leader's: it never took effect.</summary>
    Failed,
}

/// <summary>A node's answer.</summary>
/// <param name="Client">The client asked.</param>
/// <param name="OpId">Its operation.</param>
/// <param name="Attempt">The send answered.</param>
/// <param name="Status">How it went.</param>
/// <param name="LeaderNode">A leader hint (node index) or −1.</param>
/// <param name="ReadValue">Read: the register's value (null = absent).</param>
/// <param name="Swapped">Compare-and-set: whether it swapped. Transfer: whether it moved the money.</param>
/// <param name="Balances">Balance read: every account.</param>
internal sealed record ClientReply(int Client, long OpId, int Attempt, ReplyStatus Status, int LeaderNode, string? ReadValue = null, bool Swapped = false, IReadOnlyDictionary<string, long>? Balances = null);
