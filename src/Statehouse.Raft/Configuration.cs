using System.Buffers.Binary;

namespace Statehouse.Raft;

/// <summary>
/// A group's membership: voters (counted for elections and commitment) and learners (receive the log, never vote).
/// Immutable; ids are kept sorted so equal configurations compare and encode the same.
/// </summary>
public sealed class Configuration : IEquatable<Configuration>
{
    private const byte FormatVersion = 1;
    private readonly NodeId[] _voters;
    private readonly NodeId[] _learners;

    /// <summary>Creates a configuration; a node may not be both voter and learner.</summary>
    public Configuration(IEnumerable<NodeId> voters, IEnumerable<NodeId>? learners = null)
    {
        ArgumentNullException.ThrowIfNull(voters);
        _voters = voters.Distinct().Order().ToArray();
        _learners = (learners ?? []).Distinct().Order().ToArray();
        foreach (var id in _voters.Concat(_learners))
        {
            if (id.IsNone)
            {
                throw new ArgumentException("Node id 0 is reserved for \"nobody\".");
            }
        }

        if (_voters.Intersect(_learners).Any())
        {
            throw new ArgumentException("A node cannot be both a voter and a learner.");
        }
    }

    /// <summary>No members at all (a node that has not been given a configuration yet).</summary>
    public static Configuration Empty { get; } = new([]);

    /// <summary>The voting members, sorted.</summary>
    public IReadOnlyList<NodeId> Voters => _voters;

    /// <summary>The learners, sorted.</summary>
    public IReadOnlyList<NodeId> Learners => _learners;

    /// <summary>Votes or acknowledgements needed from voters: a majority (thesis §3.4).</summary>
    public int QuorumSize => (_voters.Length / 2) + 1;

    /// <summary>Whether <paramref name="id"/> votes.</summary>
    public bool IsVoter(NodeId id) => Array.BinarySearch(_voters, id) >= 0;

    /// <summary>Whether <paramref name="id"/> is a learner.</summary>
    public bool IsLearner(NodeId id) => Array.BinarySearch(_learners, id) >= 0;

    /// <summary>Whether <paramref name="id"/> is a voter or a learner.</summary>
    public bool Contains(NodeId id) => IsVoter(id) || IsLearner(id);

    /// <summary>Every member, voters first.</summary>
    public IEnumerable<NodeId> Members => _voters.Concat(_learners);

    /// <summary>The configuration after <paramref name="change"/>, or why it is not allowed.</summary>
    public bool TryApply(ConfigChange change, out Configuration next, out string? error)
    {
        next = this;
        error = null;
        var id = change.Node;
        if (id.IsNone)
        {
            error = "Node id 0 is reserved.";
            return false;
        }

        switch (change.Kind)
        {
            case ConfigChangeKind.AddLearner when Contains(id):
                error = $"{id} is already a member.";
                return false;
            case ConfigChangeKind.AddLearner:
                next = new Configuration(_voters, _learners.Append(id));
                return true;
            case ConfigChangeKind.PromoteLearner when !IsLearner(id):
                error = $"{id} is not a learner (a node joins as a learner and is promoted once it has caught up).";
                return false;
            case ConfigChangeKind.PromoteLearner:
                next = new Configuration(_voters.Append(id), _learners.Where(l => l != id));
                return true;
            case ConfigChangeKind.Remove when !Contains(id):
                error = $"{id} is not a member.";
                return false;
            case ConfigChangeKind.Remove when IsVoter(id) && _voters.Length == 1:
                error = "The last voter cannot be removed.";
                return false;
            case ConfigChangeKind.Remove:
                next = new Configuration(_voters.Where(v => v != id), _learners.Where(l => l != id));
                return true;
            default:
                error = $"Unknown configuration change {change.Kind}.";
                return false;
        }
    }

    /// <summary>Binary form: version byte, voter count, voters, learner count, learners (little-endian).</summary>
    public byte[] Encode()
    {
        var bytes = new byte[1 + 4 + (8 * _voters.Length) + 4 + (8 * _learners.Length)];
        var span = bytes.AsSpan();
        span[0] = FormatVersion;
        var at = 1;
        foreach (var list in new[] { _voters, _learners })
        {
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], list.Length);
            at += 4;
            foreach (var id in list)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(span[at..], id.Value);
                at += 8;
            }
        }

        return bytes;
    }

    /// <summary>Reads <see cref="Encode"/>'s form.</summary>
    /// <exception cref="FormatException">The bytes are not a configuration of a known version.</exception>
    public static Configuration Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 9 || bytes[0] != FormatVersion)
        {
            throw new FormatException("Not a Raft configuration of a known format version.");
        }

        var at = 1;
        var lists = new NodeId[2][];
        for (var l = 0; l < 2; l++)
        {
            if (bytes.Length < at + 4)
            {
                throw new FormatException("Truncated Raft configuration.");
            }

            var count = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
            at += 4;
            if (count < 0 || bytes.Length < at + (8L * count))
            {
                throw new FormatException("Truncated Raft configuration.");
            }

            lists[l] = new NodeId[count];
            for (var i = 0; i < count; i++)
            {
                lists[l][i] = new NodeId(BinaryPrimitives.ReadUInt64LittleEndian(bytes[at..]));
                at += 8;
            }
        }

        if (at != bytes.Length)
        {
            throw new FormatException("Raft configuration has trailing bytes.");
        }

        try
        {
            return new Configuration(lists[0], lists[1]);
        }
        catch (ArgumentException e)
        {
            // Node id 0, or a node both voter and learner: bytes no encoder of ours wrote.
            throw new FormatException($"Not a valid Raft configuration: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public bool Equals(Configuration? other) =>
        other is not null && _voters.AsSpan().SequenceEqual(other._voters) && _learners.AsSpan().SequenceEqual(other._learners);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Configuration);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var id in _voters)
        {
            hash.Add(id);
        }

        hash.Add(-1);
        foreach (var id in _learners)
        {
            hash.Add(id);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"voters [{string.Join(' ', _voters)}]" + (_learners.Length > 0 ? $" learners [{string.Join(' ', _learners)}]" : string.Empty);
}
