using System.Buffers.Binary;
using Statehouse.Raft;

namespace Statehouse.Replication;

/// <summary>
/// What a group snapshot's data is, in every store and on the wire (the bytes a leader sends in chunks): a prefix with
/// the membership as of the snapshot's index, then the state machine's capture.
/// <code>u8 format = 1 · u32 LE configuration length · configuration (Configuration.Encode) · capture…</code>
/// </summary>
internal static class GroupSnapshotBody
{
    private const byte FormatVersion = 1;
    private const int MaxConfigurationBytes = 1 << 20;

    /// <summary>Writes the prefix.</summary>
    public static void WritePrefix(Stream destination, Configuration configuration)
    {
        var encoded = configuration.Encode();
        Span<byte> head = stackalloc byte[5];
        head[0] = FormatVersion;
        BinaryPrimitives.WriteUInt32LittleEndian(head[1..], (uint)encoded.Length);
        destination.Write(head);
        destination.Write(encoded);
    }

    /// <summary>Reads the prefix; the stream is left at the capture.</summary>
    /// <exception cref="InvalidDataException">Not a group snapshot of this format.</exception>
    public static Configuration ReadPrefix(Stream source)
    {
        Span<byte> head = stackalloc byte[5];
        source.ReadExactly(head);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(head[1..]);
        if (head[0] != FormatVersion || length > MaxConfigurationBytes)
        {
            throw new InvalidDataException($"Not a group snapshot of format {FormatVersion} (format {head[0]}, configuration of {length} bytes).");
        }

        var encoded = new byte[length];
        source.ReadExactly(encoded);
        return Configuration.Decode(encoded);
    }
}
