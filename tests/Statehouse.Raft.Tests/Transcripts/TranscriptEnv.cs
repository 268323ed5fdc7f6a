using System.Text;

namespace Statehouse.Raft.Tests.Transcripts;

/// <summary>
/// The world a transcript drives: members with in-memory storage, a network that holds every message until a command
/// delivers or drops it, cut links, crashes and restarts. The host side follows <see cref="Ready"/>'s contract step
/// by step, so what a transcript prints is what a real host would do, in that order.
/// </summary>
/// <remarks>
/// Deterministic: members are visited in id order, messages in send order, and each member's random source is seeded
/// from its id and restart count. After every command the world is checked for election safety (one leader per term)
/// and state machine safety (applied logs are prefixes of one another); a violation fails the transcript.
/// </remarks>
internal sealed partial class TranscriptEnv
{
    private const int MaxStabilizeRounds = 1000;
    private readonly SortedDictionary<ulong, Host> _hosts = [];
    private readonly List<Message> _network = [];
    private readonly HashSet<(ulong From, ulong To)> _cut = [];
    private readonly Dictionary<ulong, NodeId> _leaders = [];
    private readonly StringBuilder _out = new();

    /// <summary>Runs one command and returns what it printed ("ok" when nothing).</summary>
    public string Run(string text)
    {
        _out.Clear();
        var command = new TranscriptCommand(text);
        Execute(command);
        var unused = command.UnusedOptions.ToArray();
        if (unused.Length > 0)
        {
            throw new FormatException($"{command.Name}: unknown option(s) {string.Join(", ", unused)}");
        }

        CheckSafety();
        var output = _out.ToString().TrimEnd('\n');
        return output.Length == 0 ? "ok" : output;
    }

    private void Line(string text) => _out.Append(text).Append('\n');

    private Host HostOf(ulong id) =>
        _hosts.TryGetValue(id, out var host) ? host : throw new FormatException($"there is no n{id}");

    private RaftNode Live(ulong id) =>
        HostOf(id).Node ?? throw new FormatException($"n{id} is down (restart it first)");

    /// <summary>
    /// Election safety (§3.6.3, Figure 3.2): at most one leader per term, ever. State machine safety: whatever two
    /// members applied agrees index by index.
    /// </summary>
    private void CheckSafety()
    {
        foreach (var host in _hosts.Values)
        {
            if (host.Node is { Role: RaftRole.Leader } node)
            {
                if (_leaders.TryGetValue(node.Term.Value, out var other) && other != node.Id)
                {
                    throw new InvalidOperationException($"SAFETY: two leaders in term {node.Term.Value}: {other} and {node.Id}");
                }

                _leaders[node.Term.Value] = node.Id;
            }
        }

        var hosts = _hosts.Values.ToArray();
        for (var a = 0; a < hosts.Length; a++)
        {
            for (var b = a + 1; b < hosts.Length; b++)
            {
                var common = Math.Min(hosts[a].Applied.Count, hosts[b].Applied.Count);
                for (var i = 0; i < common; i++)
                {
                    if (hosts[a].Applied[i] != hosts[b].Applied[i])
                    {
                        throw new InvalidOperationException(
                            $"SAFETY: {hosts[a].Id} applied {hosts[a].Applied[i]} where {hosts[b].Id} applied {hosts[b].Applied[i]}");
                    }
                }
            }
        }
    }

    /// <summary>One member's host: its options, storage, core (null while crashed) and state machine.</summary>
    private sealed class Host(NodeId id, RaftOptions options, MemoryRaftStorage storage)
    {
        public NodeId Id { get; } = id;

        public RaftOptions Options { get; } = options;

        public MemoryRaftStorage Storage { get; } = storage;

        public RaftNode? Node { get; set; }

        public int Restarts { get; set; }

        /// <summary>The state machine: every command applied, as "index/term text", in order (snapshots included).</summary>
        public List<string> Applied { get; } = [];

        /// <summary>Every read outcome this host was given, in order (the reads command prints them).</summary>
        public List<string> Reads { get; } = [];

        /// <summary>The index the state machine is at.</summary>
        public LogIndex AppliedIndex { get; set; }

        public RaftNode Start() =>
            Node = new RaftNode(Options, Storage, new Random(checked((int)((Id.Value * 7919) + (ulong)Restarts))));
    }
}
