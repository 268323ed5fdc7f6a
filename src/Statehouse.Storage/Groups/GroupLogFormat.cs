using System.Buffers;
using Statehouse.Core.Codecs;

namespace Statehouse.Storage.Groups;

/// <summary>
/// The payload of one shared-log record: a batch of group operations, in order (format in docs/internals/host.md §1).
/// </summary>
public static class GroupLogFormat
{
    /// <summary>The batch format this build writes and reads.</summary>
    public const byte FormatVersion = 1;

    private const byte AppendEntriesKind = 1;
    private const byte HardStateKind = 2;
    private const byte CompactKind = 3;
    private const byte RemoveGroupKind = 4;
    private const byte CreateGroupKind = 5;

    /// <summary>Encodes <paramref name="operations"/> into <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentException">An operation breaks the format's rules (no entries, group or index 0).</exception>
    public static void Encode(IReadOnlyList<GroupOperation> operations, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var encoder = new BinaryEncoder(output);
        encoder.WriteByte(FormatVersion);
        foreach (var operation in operations)
        {
            if (operation.Group == 0)
            {
                throw new ArgumentException("Group 0 does not exist.", nameof(operations));
            }

            switch (operation)
            {
                case AppendEntriesOperation append:
                    EncodeEntries(encoder, append);
                    break;
                case HardStateOperation hardState:
                    encoder.WriteByte(HardStateKind);
                    encoder.WriteVarUInt(hardState.Group);
                    encoder.WriteVarUInt(hardState.Term);
                    encoder.WriteVarUInt(hardState.Vote);
                    encoder.WriteVarUInt(hardState.Commit);
                    break;
                case CompactOperation compact:
                    if (compact.Index == 0 || compact.Term == 0)
                    {
                        throw new ArgumentException("A snapshot covers index ≥ 1 of term ≥ 1.", nameof(operations));
                    }

                    encoder.WriteByte(CompactKind);
                    encoder.WriteVarUInt(compact.Group);
                    encoder.WriteVarUInt(compact.Index);
                    encoder.WriteVarUInt(compact.Term);
                    break;
                case RemoveGroupOperation remove:
                    encoder.WriteByte(RemoveGroupKind);
                    encoder.WriteVarUInt(remove.Group);
                    break;
                case CreateGroupOperation create:
                    if (create.Member == 0)
                    {
                        throw new ArgumentException("Member 0 does not exist.", nameof(operations));
                    }

                    encoder.WriteByte(CreateGroupKind);
                    encoder.WriteVarUInt(create.Group);
                    encoder.WriteVarUInt(create.Member);
                    encoder.WriteBytes(create.Bootstrap.Span);
                    break;
                default:
                    throw new ArgumentException($"Unknown operation {operation.GetType().Name}.", nameof(operations));
            }
        }
    }

    /// <summary>Decodes a batch; entry data are slices of <paramref name="payload"/> (no copy).</summary>
    /// <exception cref="FormatException">The payload is not a batch this build can read.</exception>
    public static List<GroupOperation> Decode(ReadOnlyMemory<byte> payload)
    {
        var operations = new List<GroupOperation>();
        var decoder = new BinaryDecoder(payload.Span);
        var version = decoder.ReadByte();
        if (version != FormatVersion)
        {
            throw new FormatException($"Group batch format {version} is not {FormatVersion}.");
        }

        while (!decoder.End)
        {
            var kind = decoder.ReadByte();
            var group = decoder.ReadVarUInt();
            if (group == 0)
            {
                throw new FormatException("An operation names group 0.");
            }

            operations.Add(kind switch
            {
                AppendEntriesKind => DecodeEntries(ref decoder, group, payload),
                HardStateKind => new HardStateOperation(group, decoder.ReadVarUInt(), decoder.ReadVarUInt(), decoder.ReadVarUInt()),
                CompactKind => DecodeCompact(ref decoder, group),
                RemoveGroupKind => new RemoveGroupOperation(group),
                CreateGroupKind => DecodeCreate(ref decoder, group, payload),
                _ => throw new FormatException($"Unknown group operation kind {kind}."),
            });
        }

        return operations;
    }

    private static CreateGroupOperation DecodeCreate(ref BinaryDecoder decoder, ulong group, ReadOnlyMemory<byte> payload)
    {
        var member = decoder.ReadVarUInt();
        if (member == 0)
        {
            throw new FormatException("A group creation names member 0.");
        }

        var length = decoder.ReadLength();
        var bootstrap = payload.Slice(decoder.Position, length);
        decoder.Skip(length);
        return new CreateGroupOperation(group, member, bootstrap);
    }

    private static void EncodeEntries(BinaryEncoder encoder, AppendEntriesOperation append)
    {
        var entries = append.Entries;
        if (entries.Count == 0)
        {
            throw new ArgumentException("An append carries at least one entry.", nameof(append));
        }

        encoder.WriteByte(AppendEntriesKind);
        encoder.WriteVarUInt(append.Group);
        encoder.WriteVarUInt(entries[0].Index);
        encoder.WriteVarUInt((ulong)entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Index != entries[0].Index + (ulong)i || entry.Index == 0 || entry.Term == 0)
            {
                throw new ArgumentException($"Entry {i} has index {entry.Index} term {entry.Term}: entries are contiguous from index ≥ 1, of term ≥ 1.", nameof(append));
            }

            encoder.WriteVarUInt(entry.Term);
            encoder.WriteByte(entry.Kind);
            encoder.WriteBytes(entry.Data.Span);
        }
    }

    private static AppendEntriesOperation DecodeEntries(ref BinaryDecoder decoder, ulong group, ReadOnlyMemory<byte> payload)
    {
        var first = decoder.ReadVarUInt();
        var count = decoder.ReadVarUInt();

        // Each entry takes at least 3 bytes (term, kind, length): a count beyond that is damage, not a huge batch.
        if (first == 0 || count == 0 || count > (ulong)(payload.Length - decoder.Position) / 3)
        {
            throw new FormatException($"An append of group {group} says {count} entries from index {first}.");
        }

        var entries = new GroupEntry[(int)count];
        for (var i = 0; i < entries.Length; i++)
        {
            var term = decoder.ReadVarUInt();
            var kind = decoder.ReadByte();
            var length = decoder.ReadLength();
            var data = payload.Slice(decoder.Position, length);
            decoder.Skip(length);
            if (term == 0)
            {
                throw new FormatException($"Entry {first + (ulong)i} of group {group} has term 0.");
            }

            entries[i] = new GroupEntry(first + (ulong)i, term, kind, data);
        }

        return new AppendEntriesOperation(group, entries);
    }

    private static CompactOperation DecodeCompact(ref BinaryDecoder decoder, ulong group)
    {
        var index = decoder.ReadVarUInt();
        var term = decoder.ReadVarUInt();
        if (index == 0 || term == 0)
        {
            throw new FormatException($"A compaction of group {group} at index {index} term {term}.");
        }

        return new CompactOperation(group, index, term);
    }
}
