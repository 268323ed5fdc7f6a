using Google.Protobuf;
using Statehouse.Peers.V1;
using Statehouse.Raft;

namespace Statehouse.Peers;

/// <summary>
/// <see cref="Message"/> ↔ <see cref="RaftMessage"/>. Sending wraps the entries' bytes without copying them (they are
/// immutable); receiving checks what the core would otherwise have to trust — a malformed message from a peer is
/// refused here, never handed to a core, where it could break an invariant and stop the node.
/// </summary>
public static class RaftMessageCodec
{
    /// <summary>The smallest snapshot a group can have: the body's prefix (format and membership length).</summary>
    public const long MinimumSnapshotBytes = 5;

    /// <summary>The wire form of <paramref name="message"/>.</summary>
    public static RaftMessage Encode(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var wire = new RaftMessage
        {
            Kind = (uint)message.Kind,
            Group = message.Group.Value,
            From = message.From.Value,
            To = message.To.Value,
            Term = message.Term.Value,
            LogTerm = message.LogTerm.Value,
            Index = message.Index.Value,
            Commit = message.Commit.Value,
            Reject = message.Reject,
            RejectHint = message.RejectHint.Value,
            Context = message.Context,
            LeaderTransfer = message.LeaderTransfer,
            SnapshotOffset = message.SnapshotOffset,
            SnapshotDone = message.SnapshotDone,
        };
        foreach (var entry in message.Entries)
        {
            wire.Entries.Add(new RaftEntry
            {
                Index = entry.Index.Value,
                Term = entry.Term.Value,
                Kind = (uint)entry.Kind,
                Data = UnsafeByteOperations.UnsafeWrap(entry.Data),
            });
        }

        if (message.Snapshot is { } snapshot)
        {
            wire.Snapshot = new SnapshotDescription
            {
                Index = snapshot.Index.Value,
                Term = snapshot.Term.Value,
                Configuration = UnsafeByteOperations.UnsafeWrap(snapshot.Configuration.Encode()),
                SizeBytes = snapshot.SizeBytes,
                Checksum = snapshot.Checksum,
            };
        }

        if (!message.SnapshotData.IsEmpty)
        {
            wire.SnapshotData = UnsafeByteOperations.UnsafeWrap(message.SnapshotData);
        }

        return wire;
    }

    /// <summary>Decodes a received message, or says why it is refused.</summary>
    public static Message? TryDecode(RaftMessage wire, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(wire);
        problem = Check(wire);
        if (problem is not null)
        {
            return null;
        }

        var entries = new Entry[wire.Entries.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            var e = wire.Entries[i];
            entries[i] = new Entry(new LogIndex(e.Index), new Term(e.Term), (EntryKind)e.Kind, e.Data.Memory);
        }

        SnapshotMeta? snapshot = null;
        if (wire.Snapshot is { } s)
        {
            try
            {
                snapshot = new SnapshotMeta(new LogIndex(s.Index), new Term(s.Term), Configuration.Decode(s.Configuration.Span), s.SizeBytes, s.Checksum);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidDataException)
            {
                problem = "its snapshot's configuration does not decode: " + e.Message;
                return null;
            }
        }

        return new Message
        {
            Kind = (MessageKind)wire.Kind,
            Group = new GroupId(wire.Group),
            From = new NodeId(wire.From),
            To = new NodeId(wire.To),
            Term = new Term(wire.Term),
            LogTerm = new Term(wire.LogTerm),
            Index = new LogIndex(wire.Index),
            Entries = entries,
            Commit = new LogIndex(wire.Commit),
            Reject = wire.Reject,
            RejectHint = new LogIndex(wire.RejectHint),
            Context = wire.Context,
            LeaderTransfer = wire.LeaderTransfer,
            Snapshot = snapshot,
            SnapshotOffset = wire.SnapshotOffset,
            SnapshotData = wire.SnapshotData.Memory,
            SnapshotDone = wire.SnapshotDone,
        };
    }

    private static string? Check(RaftMessage wire)
    {
        if (wire.Kind < (uint)MessageKind.PreVote || wire.Kind > (uint)MessageKind.ReadIndexResponse)
        {
            return $"unknown message kind {wire.Kind}";
        }

        if (wire.Group == 0 || wire.From == 0 || wire.To == 0 || wire.From == wire.To)
        {
            return $"group {wire.Group}, from {wire.From}, to {wire.To}: ids are ≥ 1 and a member does not message itself";
        }

        if (wire.Entries.Count > 0 && (MessageKind)wire.Kind != MessageKind.Append)
        {
            return $"a {(MessageKind)wire.Kind} carries no entries";
        }

        var previousTerm = wire.LogTerm;
        for (var i = 0; i < wire.Entries.Count; i++)
        {
            var entry = wire.Entries[i];
            if (entry.Index != wire.Index + 1 + (ulong)i || entry.Term == 0 || entry.Term > wire.Term || entry.Term < previousTerm
                || entry.Kind < (uint)EntryKind.Command || entry.Kind > (uint)EntryKind.Empty)
            {
                return $"entry {i} (index {entry.Index}, term {entry.Term}, kind {entry.Kind}) does not follow index {wire.Index} in order, of a term from {previousTerm} to {wire.Term}";
            }

            previousTerm = entry.Term;
            if (entry.Kind == (uint)EntryKind.ConfigChange)
            {
                try
                {
                    ConfigChange.Decode(entry.Data.Memory);
                }
                catch (Exception e) when (e is FormatException or ArgumentException or InvalidDataException)
                {
                    return $"entry {i} is a membership change that does not decode: {e.Message}";
                }
            }
        }

        var isSnapshot = (MessageKind)wire.Kind is MessageKind.Snapshot or MessageKind.SnapshotResponse;
        if (isSnapshot != (wire.Snapshot is not null))
        {
            return isSnapshot ? "a snapshot message without its snapshot" : "a snapshot description on a message of another kind";
        }

        if (wire.Snapshot is { } s && (s.Index == 0 || s.Term == 0 || s.Term > wire.Term || s.SizeBytes < MinimumSnapshotBytes || wire.SnapshotOffset < 0
            || wire.SnapshotOffset > s.SizeBytes - wire.SnapshotData.Length
            || ((MessageKind)wire.Kind == MessageKind.Snapshot && wire.SnapshotDone && wire.SnapshotOffset + wire.SnapshotData.Length != s.SizeBytes)))
        {
            return $"snapshot {s.Index}/{s.Term} of {s.SizeBytes} bytes (message term {wire.Term}) with data at {wire.SnapshotOffset}+{wire.SnapshotData.Length}{(wire.SnapshotDone ? ", last" : string.Empty)}";
        }

        if (!isSnapshot && (wire.SnapshotData.Length > 0 || wire.SnapshotOffset != 0 || wire.SnapshotDone))
        {
            return "snapshot data on a message of another kind";
        }

        return null;
    }
}
