using System.Collections.Concurrent;
using Statehouse.Raft;

namespace Statehouse.Peers;

/// <summary>
/// Where the other nodes are, and which node hosts which member id: what the transport needs to route a message and
/// the service to check who sent it. Thread-safe. A member id not mapped is taken to be the node's own id (a node is
/// member <c>n</c> of every group it founded as node <c>n</c>); a member of a later join is mapped explicitly.
/// </summary>
public sealed class PeerDirectory
{
    private readonly ConcurrentDictionary<NodeId, Uri> _addresses = new();
    private readonly ConcurrentDictionary<NodeId, NodeId> _members = new();

    /// <summary>This node.</summary>
    public required NodeId Self { get; init; }

    /// <summary>Adds or moves a node's peer address.</summary>
    public void SetNode(NodeId node, Uri peerAddress)
    {
        ArgumentNullException.ThrowIfNull(peerAddress);
        if (node.IsNone)
        {
            throw new ArgumentException("Node 0 does not exist.", nameof(node));
        }

        _addresses[node] = peerAddress;
    }

    /// <summary>Forgets a node (messages to it are dropped, its calls refused).</summary>
    public void RemoveNode(NodeId node) => _addresses.TryRemove(node, out _);

    /// <summary>Records that <paramref name="node"/> hosts member <paramref name="member"/>.</summary>
    public void MapMember(NodeId member, NodeId node) => _members[member] = node;

    /// <summary>Whether <paramref name="node"/> is a known node (this one included).</summary>
    public bool IsKnown(NodeId node) => node == Self || _addresses.ContainsKey(node);

    /// <summary>The node that hosts <paramref name="member"/>.</summary>
    public NodeId NodeOf(NodeId member) => _members.TryGetValue(member, out var node) ? node : member;

    /// <summary>The peer address of <paramref name="node"/>, if known.</summary>
    public Uri? AddressOf(NodeId node) => _addresses.TryGetValue(node, out var address) ? address : null;
}
