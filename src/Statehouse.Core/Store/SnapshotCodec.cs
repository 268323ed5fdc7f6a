using System.Buffers;
using System.Buffers.Binary;
using Statehouse.Core.Codecs;
using Statehouse.Core.Model;

namespace Statehouse.Core.Store;

/// <summary>
/// Writes a <see cref="StoreView"/> as a snapshot body and reads it back. The body is a sequence of chunks
/// (<c>u32 length, bytes</c>, at most about 1 MiB each); a chunk holds whole records, each a tag byte and its fields.
/// The snapshot file around it (header, CRC) belongs to the storage layer.
/// </summary>
public static class SnapshotCodec
{
    /// <summary>The body format this build writes.</summary>
    /// <remarks>2: lease "owned" flag, request fingerprints, change sequence within a revision.</remarks>
    public const byte FormatVersion = 2;

    private const int ChunkTargetBytes = 1 << 20;
    private const int MaxChunkBytes = 64 << 20;

    private enum Tag : byte
    {
        Header = 1,
        Keyspace = 2,
        Key = 3,
        Lease = 4,
        Request = 5,
        End = 6,
    }

    /// <summary>Writes the whole view. Safe to run on any thread while the state machine applies newer batches.</summary>
    public static void Write(StoreView view, Stream output, CancellationToken cancellationToken = default)
    {
        var buffer = new ArrayBufferWriter<byte>(ChunkTargetBytes + (64 * 1024));
        var e = new BinaryEncoder(buffer);

        e.WriteByte((byte)Tag.Header);
        e.WriteByte(FormatVersion);
        e.WriteVarInt(view.AppliedIndex);
        e.WriteVarInt(view.Revision);
        e.WriteVarInt(view.CompactRevision);
        e.WriteVarInt(view.NextLeaseId);

        foreach (var (name, ks) in view.Keyspaces.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            e.WriteByte((byte)Tag.Keyspace);
            CommandCodec.WriteKeyspaceConfig(e, ks.Config);
            foreach (var (key, head) in ks.Keys.Enumerate(null, null))
            {
                e.WriteByte((byte)Tag.Key);
                e.WriteBytes(key);
                WriteChain(e, head, view.CompactRevision);
                if (buffer.WrittenCount >= ChunkTargetBytes)
                {
                    FlushChunk(buffer, output);
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }

            _ = name;
        }

        foreach (var lease in view.Leases.Values.OrderBy(l => l.Id))
        {
            e.WriteByte((byte)Tag.Lease);
            e.WriteVarInt(lease.Id);
            e.WriteVarInt(lease.TtlSeconds);
            e.WriteBool(lease.Owned);
        }

        foreach (var entry in view.RequestOrder)
        {
            if (!view.Requests.TryGetValue(entry.RequestId, out var current) || !ReferenceEquals(current, entry))
            {
                continue;
            }

            e.WriteByte((byte)Tag.Request);
            e.WriteString(entry.RequestId);
            e.WriteInt64(entry.TimestampMs);
            e.WriteInt64((long)entry.Fingerprint);
            ResultCodec.Write(e, entry.Result);
            if (buffer.WrittenCount >= ChunkTargetBytes)
            {
                FlushChunk(buffer, output);
            }
        }

        e.WriteByte((byte)Tag.End);
        FlushChunk(buffer, output);
    }

    private static void WriteChain(BinaryEncoder e, KeyVersion head, long compactRevision)
    {
        // Newest first: every version at or above the compaction revision, then the first one below it (the value
        // visible at the compaction revision, or the previous value of a change made exactly at it).
        var count = 0;
        for (var v = head; v is not null; v = v.Previous)
        {
            count++;
            if (v.ModRevision < compactRevision)
            {
                break;
            }
        }

        e.WriteVarUInt((ulong)count);
        var v2 = head;
        for (var i = 0; i < count; i++, v2 = v2!.Previous)
        {
            e.WriteByte((byte)v2!.Kind);
            e.WriteNullableBytes(v2.Value);
            e.WriteVarInt(v2.CreateRevision);
            e.WriteVarInt(v2.ModRevision);
            e.WriteVarInt(v2.Version);
            e.WriteVarInt(v2.Lease);
            e.WriteVarInt(v2.Sequence);
        }
    }

    private static void FlushChunk(ArrayBufferWriter<byte> buffer, Stream output)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)buffer.WrittenCount);
        output.Write(length);
        output.Write(buffer.WrittenSpan);
        buffer.ResetWrittenCount();
    }

    /// <summary>What a snapshot body decodes to.</summary>
    internal sealed class Contents
    {
        public long AppliedIndex;
        public long Revision;
        public long CompactRevision;
        public long NextLeaseId;
        public readonly List<(KeyspaceConfig Config, List<KeyValuePair<byte[], KeyVersion>> Keys)> Keyspaces = [];
        public readonly List<(long Id, long Ttl, bool Owned)> Leases = [];
        public readonly List<IdempotencyEntry> Requests = [];
    }

    /// <summary>Reads a snapshot body; throws <see cref="FormatException"/> when it is malformed.</summary>
    internal static Contents Read(Stream input)
    {
        try
        {
            return ReadCore(input);
        }
        catch (Exception ex) when (ex is OverflowException or ArgumentException or InvalidCastException or EndOfStreamException or InvariantViolationException)
        {
            throw new FormatException($"Malformed snapshot body: {ex.Message}", ex);
        }
    }

    private static Contents ReadCore(Stream input)
    {
        var contents = new Contents();
        var sawHeader = false;
        var sawEnd = false;
        Span<byte> lengthBytes = stackalloc byte[4];
        byte[] chunk = [];
        while (!sawEnd)
        {
            input.ReadExactly(lengthBytes);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
            if (length > MaxChunkBytes)
            {
                throw new FormatException($"Snapshot chunk of {length} bytes exceeds {MaxChunkBytes}.");
            }

            if (chunk.Length < length)
            {
                chunk = new byte[Math.Max(length, ChunkTargetBytes * 2)];
            }

            input.ReadExactly(chunk, 0, (int)length);
            var d = new BinaryDecoder(chunk.AsSpan(0, (int)length));
            while (!d.End)
            {
                var tag = (Tag)d.ReadByte();
                if (!sawHeader && tag != Tag.Header)
                {
                    throw new FormatException("Snapshot body does not start with a header.");
                }

                switch (tag)
                {
                    case Tag.Header:
                        var version = d.ReadByte();
                        if (version != FormatVersion)
                        {
                            throw new FormatException($"Unsupported snapshot format version {version}.");
                        }

                        contents.AppliedIndex = d.ReadVarInt();
                        contents.Revision = d.ReadVarInt();
                        contents.CompactRevision = d.ReadVarInt();
                        contents.NextLeaseId = d.ReadVarInt();
                        sawHeader = true;
                        break;
                    case Tag.Keyspace:
                        contents.Keyspaces.Add((CommandCodec.ReadKeyspaceConfig(ref d), []));
                        break;
                    case Tag.Key:
                        if (contents.Keyspaces.Count == 0)
                        {
                            throw new FormatException("Snapshot key before any keyspace.");
                        }

                        var key = d.ReadBytes();
                        var keys = contents.Keyspaces[^1].Keys;
                        if (key.Length == 0 || (keys.Count > 0 && Collections.ByteKeyComparer.Instance.Compare(keys[^1].Key, key) >= 0))
                        {
                            throw new FormatException("Snapshot keys are empty or out of order.");
                        }

                        keys.Add(new(key, ReadChain(ref d)));
                        break;
                    case Tag.Lease:
                        contents.Leases.Add((d.ReadVarInt(), d.ReadVarInt(), d.ReadBool()));
                        break;
                    case Tag.Request:
                        var id = d.ReadString();
                        var ts = d.ReadInt64();
                        var fingerprint = (ulong)d.ReadInt64();
                        contents.Requests.Add(new IdempotencyEntry(id, ts, ResultCodec.Read(ref d), fingerprint));
                        break;
                    case Tag.End:
                        sawEnd = true;
                        if (!d.End)
                        {
                            throw new FormatException("Bytes after the snapshot end record.");
                        }

                        break;
                    default:
                        throw new FormatException($"Unknown snapshot record {(byte)tag}.");
                }
            }
        }

        return contents;
    }

    private static KeyVersion ReadChain(ref BinaryDecoder d)
    {
        var raw = d.ReadVarUInt();
        if (raw == 0 || raw > int.MaxValue)
        {
            throw new FormatException("A snapshot key without versions, or with an impossible number of them.");
        }

        // Versions come newest first: link each to the older one read after it (no intermediate list: restore
        // allocates per key only what it keeps).
        var count = (int)raw;
        KeyVersion? head = null;
        KeyVersion? newer = null;
        for (var i = 0; i < count; i++)
        {
            var kind = (ChangeKind)d.ReadByte();
            if (kind > ChangeKind.Expire)
            {
                throw new FormatException($"Unknown change kind {(byte)kind}.");
            }

            var value = d.ReadNullableBytes();
            var create = d.ReadVarInt();
            var mod = d.ReadVarInt();
            var version = d.ReadVarInt();
            var lease = d.ReadVarInt();
            var sequence = checked((int)d.ReadVarInt());
            if ((kind == ChangeKind.Put) != (value is not null) || mod <= 0 || sequence < 0 || (newer is not null && newer.ModRevision < mod))
            {
                throw new FormatException("Malformed version chain in snapshot.");
            }

            var node = new KeyVersion(kind, value, create, mod, version, lease, null, sequence);
            if (newer is null)
            {
                head = node;
            }
            else
            {
                newer.Previous = node;
            }

            newer = node;
        }

        return head!;
    }
}
