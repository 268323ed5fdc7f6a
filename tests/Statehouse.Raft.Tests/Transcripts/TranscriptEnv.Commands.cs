using System.Text;

namespace Statehouse.Raft.Tests.Transcripts;

internal sealed partial class TranscriptEnv
{
    private void Execute(TranscriptCommand c)
    {
        switch (c.Name)
        {
            case "add-nodes": AddNodes(c); break;
            case "campaign": Campaign(c); break;
            case "tick": Tick(c, c.LongOption("count") ?? 1); break;
            case "tick-election": Tick(c, HostOf(c.NodeArg(0)).Options.ElectionTicks); break;
            case "tick-heartbeat": Tick(c, HostOf(c.NodeArg(0)).Options.HeartbeatTicks); break;
            case "propose": Propose(c); break;
            case "propose-conf-change": ProposeConfChange(c); break;
            case "read-index": Live(c.NodeArg(0)).ReadIndex(c.NodeArg(1)); break;
            case "transfer-leader": TransferLeader(c); break;
            case "report-unreachable": Live(c.NodeArg(0)).ReportUnreachable(new NodeId(c.NodeArg(1))); break;
            case "deliver-msgs": DeliverMsgs(c, MsgAction.Deliver); break;
            case "drop-msgs": DeliverMsgs(c, MsgAction.Drop); break;
            case "dup-msgs": DeliverMsgs(c, MsgAction.Duplicate); break;
            case "msgs": DeliverMsgs(c, MsgAction.List); break;
            case "process-ready": ProcessReady(c); break;
            case "stabilize": Stabilize(c.BoolOption("quiet", false)); break;
            case "partition": Partition(c); break;
            case "isolate": Isolate(c.NodeArg(0)); break;
            case "cut": Cut(c.NodeArg(0), c.NodeArg(1)); Line($"cut n{c.NodeArg(0)} <-> n{c.NodeArg(1)}"); break;
            case "heal": _cut.Clear(); Line("all links up"); break;
            case "crash": Crash(c.NodeArg(0)); break;
            case "restart": Restart(c.NodeArg(0)); break;
            case "compact": Compact(c); break;
            case "status": Status(c.NodeArg(0)); break;
            case "raft-log": RaftLogOf(c.NodeArg(0)); break;
            case "raft-state": RaftState(); break;
            case "state-machine": StateMachine(c); break;
            case "reads": ReadsOf(c); break;
            default: throw new FormatException($"unknown command '{c.Name}'");
        }
    }

    private void AddNodes(TranscriptCommand c)
    {
        var count = int.Parse(c.Arg(0), System.Globalization.CultureInfo.InvariantCulture);
        var first = _hosts.Count == 0 ? 1UL : _hosts.Keys.Max() + 1;
        var ids = Enumerable.Range(0, count).Select(i => first + (ulong)i).ToArray();
        var join = c.BoolOption("join", false);
        var voters = c.ListOption("voters") ?? ids;
        var learners = c.ListOption("learners") ?? [];
        var configuration = join
            ? Configuration.Empty
            : new Configuration(voters.Select(v => new NodeId(v)), learners.Select(l => new NodeId(l)));
        var lease = c.Option("lease") is { } ratio
            ? new LeaseReadOptions(double.Parse(ratio, System.Globalization.CultureInfo.InvariantCulture))
            : null;
        foreach (var id in ids)
        {
            var defaults = new RaftOptions { Id = new NodeId(id), Group = new GroupId(1) };
            var options = defaults with
            {
                PreVote = c.BoolOption("prevote", defaults.PreVote),
                CheckQuorum = c.BoolOption("checkquorum", defaults.CheckQuorum),
                LeaseReads = lease,
                ElectionTicks = (int)(c.LongOption("election") ?? defaults.ElectionTicks),
                HeartbeatTicks = (int)(c.LongOption("heartbeat") ?? defaults.HeartbeatTicks),
                SnapshotChunkBytes = (int)(c.LongOption("chunk-bytes") ?? defaults.SnapshotChunkBytes),
                MaxInflightSnapshotChunks = (int)(c.LongOption("inflight-chunks") ?? defaults.MaxInflightSnapshotChunks),
                SnapshotRetryTicks = (int)(c.LongOption("snapshot-retry") ?? defaults.SnapshotRetryTicks),
                PromotionLagEntries = (ulong)(c.LongOption("promotion-lag") ?? (long)defaults.PromotionLagEntries),
                MaxAppendBytes = c.LongOption("max-append-bytes") ?? defaults.MaxAppendBytes,
                MaxInflightAppends = (int)(c.LongOption("max-inflight") ?? defaults.MaxInflightAppends),
                MaxUncommittedBytes = c.LongOption("max-uncommitted-bytes") ?? defaults.MaxUncommittedBytes,
            };
            var host = new Host(new NodeId(id), options, new MemoryRaftStorage(configuration));
            _hosts[id] = host;
            host.Start();
            var flags = new List<string>();
            if (options.PreVote)
            {
                flags.Add("prevote");
            }

            if (options.CheckQuorum)
            {
                flags.Add("checkquorum");
            }

            if (options.LeaseReads is { } l)
            {
                flags.Add($"lease drift {l.MaxClockDriftRatio} ({RaftOptions.LeaseTicks(l, options.ElectionTicks)} ticks)");
            }

            Line($"n{id}: {(join ? "joining, no configuration" : configuration.ToString())}; {string.Join(", ", flags)}; election {options.ElectionTicks} heartbeat {options.HeartbeatTicks}");
        }
    }

    private void Campaign(TranscriptCommand c)
    {
        var node = Live(c.NodeArg(0));
        if (!node.Campaign())
        {
            Line($"{node.Id}: may not campaign ({node.Role}, {(node.Configuration.IsVoter(node.Id) ? "voter" : "not a voter")})");
            return;
        }

        Line($"{node.Id}: {node.Role} term {node.Term.Value}");
    }

    /// <summary>
    /// Ticks the given members (all by default). With stabilize=true the network runs between ticks (everything is
    /// delivered and handled, quietly) and each role or term change is printed with the tick it happened at.
    /// </summary>
    private void Tick(TranscriptCommand c, long ticks)
    {
        var ids = c.Args.Count > 0 ? c.NodeArgs().ToArray() : _hosts.Keys.ToArray();
        var run = c.BoolOption("stabilize", false);
        var before = Snapshot();
        for (var t = 1; t <= ticks; t++)
        {
            foreach (var id in ids.Where(id => HostOf(id).Node is not null))
            {
                Live(id).Tick();
            }

            if (run)
            {
                var mark = _out.Length;
                Stabilize();
                _out.Length = mark;
                var now = Snapshot();
                Changes(before, now, $"tick {t}: ");
                before = now;
            }
        }

        if (!run)
        {
            Changes(before, Snapshot(), string.Empty);
        }

        Dictionary<ulong, string> Snapshot() =>
            _hosts.Where(h => h.Value.Node is not null).ToDictionary(h => h.Key, h => Describe(h.Value.Node!));

        void Changes(Dictionary<ulong, string> was, Dictionary<ulong, string> now, string prefix)
        {
            foreach (var (id, text) in now)
            {
                if (was.TryGetValue(id, out var old) && old != text)
                {
                    Line($"{prefix}n{id}: {old} -> {text}");
                }
            }
        }

        static string Describe(RaftNode node) => $"{node.Role} term {node.Term.Value} leader {node.Leader}";
    }

    private void Propose(TranscriptCommand c)
    {
        var node = Live(c.NodeArg(0));
        var commands = c.Args.Skip(1).Select(a => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(a)).ToArray();
        Line(TranscriptFormat.Propose(node.Id, node.Propose(commands)));
    }

    private void ProposeConfChange(TranscriptCommand c)
    {
        var node = Live(c.NodeArg(0));
        var kind = c.Arg(1) switch
        {
            "add-learner" => ConfigChangeKind.AddLearner,
            "promote" => ConfigChangeKind.PromoteLearner,
            "remove" => ConfigChangeKind.Remove,
            var other => throw new FormatException($"unknown change '{other}'"),
        };
        Line(TranscriptFormat.Propose(node.Id, node.ProposeConfigChange(new ConfigChange(kind, new NodeId(c.NodeArg(2)), default))));
    }

    private void TransferLeader(TranscriptCommand c)
    {
        var node = Live(c.NodeArg(0));
        var error = node.TransferLeadership(new NodeId(c.NodeArg(1)));
        Line(error is null ? $"{node.Id}: transferring to n{c.NodeArg(1)}" : $"{node.Id}: refused: {error}");
    }

    private void Partition(TranscriptCommand c)
    {
        // Groups are comma-separated ids; every link between members of different groups is cut.
        var groups = c.Args.Select(g => g.Split(',').Select(ulong.Parse).ToArray()).ToArray();
        for (var a = 0; a < groups.Length; a++)
        {
            for (var b = a + 1; b < groups.Length; b++)
            {
                foreach (var x in groups[a])
                {
                    foreach (var y in groups[b])
                    {
                        Cut(x, y);
                    }
                }
            }
        }

        Line($"partitioned: {string.Join(" | ", groups.Select(g => string.Join(' ', g.Select(id => $"n{id}"))))}");
    }

    private void Isolate(ulong id)
    {
        foreach (var other in _hosts.Keys.Where(o => o != id))
        {
            Cut(id, other);
        }

        Line($"n{id} isolated");
    }

    private void Cut(ulong a, ulong b)
    {
        _cut.Add((a, b));
        _cut.Add((b, a));
    }

    private void Crash(ulong id)
    {
        // Whatever the core held and had not handed to its host in a Ready is gone, and so are messages to it.
        var host = HostOf(id);
        host.Node = null;
        var lost = _network.RemoveAll(m => m.To.Value == id);
        Line($"n{id} crashed; {lost} message(s) to it lost");
    }

    private void Restart(ulong id)
    {
        var host = HostOf(id);
        if (host.Node is not null)
        {
            Crash(id);
        }

        host.Restarts++;

        // The state machine comes back from the latest snapshot and the applied entries the host recorded.
        host.Start();
        Line(TranscriptFormat.Node(host.Node!));
    }

    private void Compact(TranscriptCommand c)
    {
        var host = HostOf(c.NodeArg(0));
        var node = Live(c.NodeArg(0));
        var index = host.AppliedIndex;
        Invariant(host.Storage.TryGetTerm(index, out var term), "the applied entry's term is readable");
        var data = EncodeState(host.Applied);
        var meta = new SnapshotMeta(index, term, node.ConfigurationAt(index), data.Length, Checksum(data));
        host.Storage.Compact(meta, data);
        Line($"{host.Id}: {TranscriptFormat.Snapshot(meta)} {meta.Configuration}; log now {host.Storage.FirstIndex.Value}..{host.Storage.LastIndex.Value}");
    }

    private void Status(ulong id)
    {
        var status = Live(id).Status();
        Line(TranscriptFormat.Node(Live(id)));
        Line($"  configuration: {status.Configuration}; log {status.FirstIndex.Value}..{status.LastIndex.Value}");
        foreach (var (peer, progress) in status.Peers)
        {
            Line($"  {peer}: {progress.State} match {progress.Match.Value} next {progress.Next.Value}{(progress.RecentActive ? " active" : string.Empty)}");
        }
    }

    private void RaftLogOf(ulong id)
    {
        var storage = HostOf(id).Storage;
        if (storage.Snapshot is { } snapshot)
        {
            Line($"{TranscriptFormat.Snapshot(snapshot)} {snapshot.Configuration}");
        }

        if (storage.LastIndex < storage.FirstIndex)
        {
            Line("no entries");
            return;
        }

        var entries = new List<Entry>();
        storage.GetEntries(storage.FirstIndex, storage.LastIndex.Next, long.MaxValue, entries);
        foreach (var entry in entries)
        {
            Line(TranscriptFormat.Entry(entry));
        }
    }

    private void RaftState()
    {
        foreach (var host in _hosts.Values)
        {
            Line(host.Node is { } node ? TranscriptFormat.Node(node) : $"{host.Id}: down");
        }
    }

    private void StateMachine(TranscriptCommand c)
    {
        var ids = c.Args.Count > 0 ? c.NodeArgs().ToArray() : _hosts.Keys.ToArray();
        foreach (var id in ids)
        {
            var host = HostOf(id);
            Line($"{host.Id}: applied {host.AppliedIndex.Value} [{string.Join(", ", host.Applied)}]");
        }
    }

    private void ReadsOf(TranscriptCommand c)
    {
        var ids = c.Args.Count > 0 ? c.NodeArgs().ToArray() : _hosts.Keys.ToArray();
        foreach (var id in ids)
        {
            var host = HostOf(id);
            Line($"{host.Id}: {(host.Reads.Count == 0 ? "none" : string.Join(", ", host.Reads))}");
        }
    }

    private static void Invariant(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"transcript host: expected {what}");
        }
    }
}
