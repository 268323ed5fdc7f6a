using System.Buffers.Binary;

namespace Statehouse.Raft;

/// <summary>A single-member change (see docs/internals/raft-core.md "Membership" for why one at a time).</summary>
public enum ConfigChangeKind : byte
{
    /// <summary>Add a node that receives the log but does not vote.</summary>
    AddLearner = 1,

    /// <summary>Make a caught-up learner a voter.</summary>
    PromoteLearner = 2,

    /// <summary>Remove a voter or a learner.</summary>
    Remove = 3,
}

/// <summary>
/// A membership change as proposed and as stored in a <see cref="EntryKind.ConfigChange"/> entry.
/// <see cref="Context"/> is the host's (e.g. the node's peer address); the core only carries it.
/// </summary>
public readonly record struct ConfigChange(ConfigChangeKind Kind, NodeId Node, ReadOnlyMemory<byte> Context)
{
    private const byte FormatVersion = 1;

    /// <summary>Version 2 adds, after the context, the whole configuration the change results in.</summary>
    private const byte FormatVersionWithResult = 2;

    /// <summary>Binary form: version, kind, node id, context length, context (little-endian).</summary>
    public byte[] Encode()
    {
        var bytes = new byte[1 + 1 + 8 + 4 + Context.Length];
        bytes[0] = FormatVersion;
        bytes[1] = (byte)Kind;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(2), Node.Value);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), Context.Length);
        Context.Span.CopyTo(bytes.AsSpan(14));
        return bytes;
    }

    /// <summary>
    /// The form a leader stores in the log: <see cref="Encode()"/>'s, version 2, followed by the configuration the change
    /// results in (<see cref="Configuration.Encode"/>). A member that joined with an empty configuration cannot apply
    /// a change to a membership it never knew (the bootstrap configuration is not in the log): it takes the result.
    /// </summary>
    internal byte[] Encode(Configuration result)
    {
        var change = Encode();
        var configuration = result.Encode();
        var bytes = new byte[change.Length + configuration.Length];
        change.CopyTo(bytes, 0);
        configuration.CopyTo(bytes, change.Length);
        bytes[0] = FormatVersionWithResult;
        return bytes;
    }

    /// <summary>The configuration a version-2 entry says its change results in; null for version 1.</summary>
    internal static Configuration? DecodeResult(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < 14 || span[0] != FormatVersionWithResult)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(span[10..]);
        return Configuration.Decode(span[(14 + length)..]);
    }

    /// <summary>Reads <see cref="Encode()"/>'s form (version 1, or version 2 with the resulting configuration after the context).</summary>
    /// <exception cref="FormatException">Not a change of a known version.</exception>
    public static ConfigChange Decode(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < 14 || span[0] is not (FormatVersion or FormatVersionWithResult))
        {
            throw new FormatException("Not a Raft configuration change of a known format version.");
        }

        var kind = (ConfigChangeKind)span[1];
        if (kind is not (ConfigChangeKind.AddLearner or ConfigChangeKind.PromoteLearner or ConfigChangeKind.Remove))
        {
            throw new FormatException($"Unknown configuration change kind {span[1]}.");
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(span[10..]);
        if (length < 0 || (span[0] == FormatVersion ? length != span.Length - 14 : length > span.Length - 14))
        {
            throw new FormatException("Raft configuration change has a wrong context length.");
        }

        return new ConfigChange(kind, new NodeId(BinaryPrimitives.ReadUInt64LittleEndian(span[2..])), bytes.Slice(14, length));
    }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Node}";
}
