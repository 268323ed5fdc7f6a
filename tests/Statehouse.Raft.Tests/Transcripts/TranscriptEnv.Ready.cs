using System.Text;

namespace Statehouse.Raft.Tests.Transcripts;

internal sealed partial class TranscriptEnv
{
    private enum MsgAction
    {
        Deliver,
        Drop,
        Duplicate,
        List,
    }

    private void ProcessReady(TranscriptCommand c)
    {
        var ids = c.Args.Count > 0 ? c.NodeArgs().ToArray() : _hosts.Keys.ToArray();
        foreach (var id in ids)
        {
            HandleReady(HostOf(id));
        }
    }

    /// <summary>Handles one Ready of <paramref name="host"/> in the contract's order; false if it had none.</summary>
    private bool HandleReady(Host host)
    {
        if (host.Node is not { HasReady: true } node)
        {
            return false;
        }

        var ready = node.GetReady();
        Line($"> {host.Id} handling Ready{(ready.MustSync ? " (sync)" : string.Empty)}");
        if (ready.RoleChange is { } role)
        {
            Line($"  role: {role.Role}, leader {role.Leader}");
        }

        if (ready.HardState is { } hardState)
        {
            Line($"  hard state: {hardState}");
        }

        List("entries", ready.Entries.Select(TranscriptFormat.Entry));
        List("snapshot chunks", ready.SnapshotChunks.Select(ch => $"{TranscriptFormat.Snapshot(ch.Snapshot)} at {ch.Offset} {ch.Data.Length}B"));
        if (ready.SnapshotToInstall is { } install)
        {
            Line($"  install: {TranscriptFormat.Snapshot(install)} {install.Configuration}");
        }

        // (1) Messages that may leave at once, (2) persist, (3) the messages that wait for the persist.
        List("send now", ready.Messages.Select(TranscriptFormat.Message));
        _network.AddRange(ready.Messages);
        var installed = host.Storage.Apply(ready);
        List("send after persist", ready.MessagesAfterPersist.Select(TranscriptFormat.Message));
        _network.AddRange(ready.MessagesAfterPersist);

        // (4) Apply: a snapshot replaces the state machine, then committed entries in order; reads once applied.
        if (ready.SnapshotToInstall is { } meta)
        {
            Invariant(installed is not null && Checksum(installed) == meta.Checksum, "the installed snapshot's checksum to match");
            host.Applied.Clear();
            host.Applied.AddRange(DecodeState(installed!));
            host.AppliedIndex = meta.Index;
        }

        List("apply", ready.CommittedEntries.Select(TranscriptFormat.Entry));
        foreach (var entry in ready.CommittedEntries)
        {
            Invariant(entry.Index == host.AppliedIndex.Next, "committed entries to come in order without gaps");
            if (entry.Kind == EntryKind.Command)
            {
                host.Applied.Add($"{entry.Index.Value}/{entry.Term.Value} {Encoding.UTF8.GetString(entry.Data.Span)}");
            }

            host.AppliedIndex = entry.Index;
            host.Storage.Applied = entry.Index;
        }

        var reads = ready.ReadStates.Select(r => $"read {r.RequestId} at index {r.Index.Value} (applied {host.AppliedIndex.Value})").ToArray();
        var failed = ready.FailedReads.Select(r => $"read {r.RequestId} (leader {r.Leader})").ToArray();
        List("read states", reads);
        List("failed reads", failed);
        host.Reads.AddRange(reads);
        host.Reads.AddRange(failed.Select(f => $"failed {f}"));

        if (!ready.MustSync && ready.RoleChange is null && ready.HardState is null && ready.Entries.Count == 0
            && ready.Messages.Count == 0 && ready.MessagesAfterPersist.Count == 0 && ready.CommittedEntries.Count == 0
            && ready.ReadStates.Count == 0 && ready.FailedReads.Count == 0 && ready.SnapshotChunks.Count == 0)
        {
            Line("  (nothing to do)");
        }

        // (5) Advance.
        node.Advance(ready);
        return true;
    }

    private void List(string title, IEnumerable<string> items)
    {
        var lines = items.ToArray();
        if (lines.Length == 0)
        {
            return;
        }

        Line($"  {title}:");
        foreach (var line in lines)
        {
            Line($"    {line}");
        }
    }

    /// <summary>
    /// Applies <paramref name="action"/> to the messages in the network that match the filters (from=, to=, type=),
    /// the first count= of them if given, in send order. Delivered messages may cause new ones; those wait.
    /// </summary>
    private void DeliverMsgs(TranscriptCommand c, MsgAction action)
    {
        var from = c.LongOption("from");
        var to = c.LongOption("to");
        var type = c.Option("type");
        var count = c.LongOption("count") ?? long.MaxValue;
        var selected = new List<Message>();
        foreach (var m in _network)
        {
            if (selected.Count < count
                && (from is null || m.From.Value == (ulong)from)
                && (to is null || m.To.Value == (ulong)to)
                && (type is null || string.Equals(m.Kind.ToString(), type, StringComparison.OrdinalIgnoreCase)))
            {
                selected.Add(m);
            }
        }

        switch (action)
        {
            case MsgAction.List:
                foreach (var m in _network)
                {
                    Line(TranscriptFormat.Message(m));
                }

                break;
            case MsgAction.Drop:
                foreach (var m in selected)
                {
                    _network.Remove(m);
                    Line($"dropped {TranscriptFormat.Message(m)}");
                }

                break;
            case MsgAction.Duplicate:
                foreach (var m in selected)
                {
                    _network.Add(m);
                    Line($"duplicated {TranscriptFormat.Message(m)}");
                }

                break;
            default:
                foreach (var m in selected)
                {
                    _network.Remove(m);
                }

                Deliver(selected);
                break;
        }
    }

    /// <summary>Steps each message into its receiver, grouped by receiver in id order (send order within one).</summary>
    private void Deliver(List<Message> messages)
    {
        foreach (var group in messages.GroupBy(m => m.To.Value).OrderBy(g => g.Key))
        {
            Line($"> n{group.Key} receiving");
            foreach (var m in group)
            {
                var text = TranscriptFormat.Message(m);
                if (_cut.Contains((m.From.Value, m.To.Value)))
                {
                    Line($"  {text} (lost: link cut)");
                }
                else if (!_hosts.TryGetValue(m.To.Value, out var host) || host.Node is null)
                {
                    Line($"  {text} (lost: n{m.To.Value} down)");
                }
                else
                {
                    Line($"  {text}");
                    host.Node.Step(m);
                }
            }
        }
    }

    /// <summary>Handles Readies and delivers messages until no member has work and the network is empty.</summary>
    private void Stabilize(bool quiet)
    {
        // quiet=true: the same steps, but only the resulting state is printed (for a scenario's setup).
        var mark = _out.Length;
        Stabilize();
        if (quiet)
        {
            _out.Length = mark;
            RaftState();
        }
    }

    private void Stabilize()
    {
        for (var round = 0; round < MaxStabilizeRounds; round++)
        {
            var busy = false;
            foreach (var host in _hosts.Values)
            {
                busy |= HandleReady(host);
            }

            if (_network.Count > 0)
            {
                busy = true;
                var messages = _network.ToList();
                _network.Clear();
                Deliver(messages);
            }

            if (!busy)
            {
                return;
            }
        }

        throw new InvalidOperationException($"stabilize: still busy after {MaxStabilizeRounds} rounds");
    }

    /// <summary>A snapshot's data: the state machine's applied commands, as "index/term text", in order.</summary>
    private static byte[] EncodeState(IReadOnlyList<string> applied) =>
        Encoding.UTF8.GetBytes("state:" + string.Join(';', applied));

    private static IEnumerable<string> DecodeState(byte[] data)
    {
        var text = Encoding.UTF8.GetString(data);
        Invariant(text.StartsWith("state:", StringComparison.Ordinal), "snapshot data this host wrote");
        var body = text["state:".Length..];
        return body.Length == 0 ? [] : body.Split(';');
    }

    /// <summary>FNV-1a, the host's checksum of snapshot data (checked when a received snapshot is installed).</summary>
    private static ulong Checksum(byte[] data)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in data)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }
}
