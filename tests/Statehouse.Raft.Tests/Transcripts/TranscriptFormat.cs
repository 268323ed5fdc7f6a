using System.Globalization;
using System.Text;

namespace Statehouse.Raft.Tests.Transcripts;

/// <summary>How transcripts print the core's values: short, stable and free of blank lines.</summary>
internal static class TranscriptFormat
{
    public static string Entry(Entry entry)
    {
        var text = $"{entry.Index.Value}/{entry.Term.Value} {entry.Kind}";
        return entry.Kind switch
        {
            EntryKind.Command => $"{text} \"{Encoding.UTF8.GetString(entry.Data.Span)}\"",
            EntryKind.ConfigChange => $"{text} {ConfigChange.Decode(entry.Data)}",
            _ => text,
        };
    }

    public static string Entries(IReadOnlyList<Entry> entries) => string.Join(", ", entries.Select(Entry));

    public static string Snapshot(SnapshotMeta? meta) =>
        meta is null ? "none" : $"snapshot {meta.Index.Value}/{meta.Term.Value} {meta.SizeBytes}B";

    public static string Message(Message m)
    {
        var text = $"{m.From}->{m.To} {m.Kind} t{m.Term.Value}";
        return m.Kind switch
        {
            MessageKind.Append => $"{text} prev {m.Index.Value}/{m.LogTerm.Value} commit {m.Commit.Value}" +
                (m.Entries.Count > 0 ? $" [{Entries(m.Entries)}]" : " []"),
            MessageKind.AppendResponse => m.Reject
                ? $"{text} reject {m.Index.Value} hint {m.RejectHint.Value}/{m.LogTerm.Value}"
                : $"{text} match {m.Index.Value}",
            MessageKind.Vote or MessageKind.PreVote =>
                $"{text} last {m.Index.Value}/{m.LogTerm.Value}{(m.LeaderTransfer ? " transfer" : string.Empty)}",
            MessageKind.VoteResponse or MessageKind.PreVoteResponse => $"{text} {(m.Reject ? "rejected" : "granted")}",
            MessageKind.Heartbeat => $"{text} commit {m.Commit.Value} round {m.Context}",
            MessageKind.HeartbeatResponse => $"{text} round {m.Context} last {m.Index.Value}",
            MessageKind.Snapshot => $"{text} {Snapshot(m.Snapshot)} at {m.SnapshotOffset} {m.SnapshotData.Length}B " +
                $"\"{Encoding.UTF8.GetString(m.SnapshotData.Span)}\"{(m.SnapshotDone ? " last" : string.Empty)}",
            MessageKind.SnapshotResponse => $"{text} {Snapshot(m.Snapshot)} holds {m.SnapshotOffset}" +
                (m.SnapshotDone ? $" done match {m.Index.Value}" : string.Empty) + (m.Reject ? " reject" : string.Empty),
            MessageKind.ReadIndex => $"{text} read {m.Context}",
            MessageKind.ReadIndexResponse => $"{text} read {m.Context}" + (m.Reject ? " rejected" : $" index {m.Index.Value}"),
            _ => text,
        };
    }

    public static string Node(RaftNode node) =>
        $"{node.Id}: {node.Role} term {node.Term.Value} vote {node.VotedFor} leader {node.Leader} " +
        $"commit {node.CommitIndex.Value} applied {node.AppliedIndex.Value} last {node.LastIndex.Value}/{node.LastTerm.Value}";

    public static string Propose(NodeId id, ProposeResult result) => result.Status switch
    {
        ProposeStatus.Accepted => $"{id}: accepted at {result.Index.Value}/{result.Term.Value}",
        _ => $"{id}: refused {result.Status} (leader {result.Leader})" + (result.Error is null ? string.Empty : $": {result.Error}"),
    };

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
