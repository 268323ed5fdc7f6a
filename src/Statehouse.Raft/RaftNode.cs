namespace Statehouse.Raft;

/// <summary>
/// One member of one replica group: the whole Raft protocol as a pure state machine. The host drives it with
/// <see cref="Tick"/>, <see cref="Step"/> and the proposal and read calls, and does what each <see cref="Ready"/>
/// says before calling <see cref="Advance"/>. No I/O, clock, thread or randomness beyond the seeded source given.
/// </summary>
/// <remarks>
/// Not thread-safe: one caller at a time, and no call between <see cref="GetReady"/> and <see cref="Advance"/>.
/// Section numbers in comments are those of Ongaro's thesis, "Consensus: Bridging Theory and Practice" (2014).
/// </remarks>
public sealed partial class RaftNode
{
    private readonly RaftOptions _options;
    private readonly IRaftLogStorage _storage;
    private readonly Random _random;
    private readonly RaftLog _log;
    private readonly Dictionary<NodeId, Progress> _progress = [];
    private readonly Dictionary<NodeId, bool> _votes = [];
    private List<Message> _messages = [];
    private List<Message> _messagesAfterPersist = [];
    private List<ReadState> _readStates = [];
    private List<FailedRead> _failedReads = [];
    private HardState _reportedHardState;
    private (NodeId Leader, RaftRole Role) _reportedRole;
    private Configuration _trackedConfiguration;
    private int _electionElapsed;
    private int _heartbeatElapsed;
    private int _randomizedElectionTimeout;
    private long _tick;
    private bool _inReady;
    private bool _appendsPending;
    private bool _quietAfterStart;

    /// <summary>Creates a member from what its storage holds.</summary>
    /// <param name="options">Identity, timing and limits.</param>
    /// <param name="storage">The host's log.</param>
    /// <param name="random">The only source of randomness (election timeouts); seeded by the host or simulator.</param>
    public RaftNode(RaftOptions options, IRaftLogStorage storage, Random random)
        : this(options, storage, random, PlantedBug.None)
    {
    }

    internal RaftNode(RaftOptions options, IRaftLogStorage storage, Random random, PlantedBug plantedBugs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(random);
        options.Validate();
        _options = options;
        _storage = storage;
        _random = random;
        Planted = plantedBugs;
        var initial = storage.InitialState();
        _log = new RaftLog(storage, initial);
        Term = initial.HardState.Term;
        VotedFor = initial.HardState.VotedFor;
        _reportedHardState = new HardState(Term, VotedFor, _log.Committed);
        _trackedConfiguration = _log.Configuration;
        Role = RaftRole.Follower;
        _reportedRole = (Leader, Role);
        ResetElectionTimeout();

        // §6.4.1: a voter that restarts may have acknowledged a leader's heartbeat just before; a leader's lease
        // counts on it ignoring candidates for an election timeout, so it starts as if it had just heard from one
        // (only with leases on; a member that never joined a term cannot have acknowledged anything).
        _quietAfterStart = options.LeaseReads is not null && Term > Term.Zero;
    }

    /// <summary>This member.</summary>
    public NodeId Id => _options.Id;

    /// <summary>Its group.</summary>
    public GroupId Group => _options.Group;

    /// <summary>The current term.</summary>
    public Term Term { get; private set; }

    /// <summary>Whom this member voted for in <see cref="Term"/>.</summary>
    public NodeId VotedFor { get; private set; }

    /// <summary>The current role.</summary>
    public RaftRole Role { get; private set; }

    /// <summary>The leader of <see cref="Term"/> as far as this member knows (<see cref="NodeId.None"/> if unknown).</summary>
    public NodeId Leader { get; private set; }

    /// <summary>The highest index known committed.</summary>
    public LogIndex CommitIndex => _log.Committed;

    /// <summary>The highest index the host applied (acknowledged by <see cref="Advance"/>).</summary>
    public LogIndex AppliedIndex => _log.Applied;

    /// <summary>The last index in the log (stored or not yet stored).</summary>
    public LogIndex LastIndex => _log.LastIndex;

    /// <summary>The term of the last entry.</summary>
    public Term LastTerm => _log.LastTerm;

    /// <summary>The membership in force: the latest configuration in the log, committed or not (§4.1).</summary>
    public Configuration Configuration => _log.Configuration;

    /// <summary>The membership as of <paramref name="index"/> (≥ the applied index): what a snapshot there records.</summary>
    public Configuration ConfigurationAt(LogIndex index) => _log.ConfigurationAt(index);

    /// <summary>The host's clock, in ticks, as this member has counted it.</summary>
    public long Ticks => _tick;

    internal PlantedBug Planted { get; }

    private bool IsPlanted(PlantedBug bug) => (Planted & bug) != 0;

    /// <summary>Whether this member may campaign: a voter with no snapshot waiting to be installed.</summary>
    private bool Promotable => _log.Configuration.IsVoter(Id) && _log.PendingSnapshot is null;

    /// <summary>Advances logical time by one tick (the host calls it at a fixed interval, e.g. every 100 ms).</summary>
    public void Tick()
    {
        AssertNotInReady();
        _tick++;
        if (Role == RaftRole.Leader)
        {
            TickLeader();
        }
        else
        {
            TickElection();
        }
    }

    /// <summary>Handles a message from another member of the group.</summary>
    public void Step(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        AssertNotInReady();
        Invariant.Assert(message.To == Id, "a message for another member was stepped here");
        Invariant.Assert(message.Group == Group, "a message of another group was stepped here");
        if (message.From == Id)
        {
            return;
        }

        if (!StepTerm(message))
        {
            return;
        }

        switch (message.Kind)
        {
            case MessageKind.PreVote or MessageKind.Vote:
                HandleVoteRequest(message);
                return;
            case MessageKind.ReadIndexResponse:
                HandleReadIndexResponse(message);
                return;
        }

        switch (Role)
        {
            case RaftRole.Leader:
                StepLeader(message);
                break;
            case RaftRole.Candidate or RaftRole.PreCandidate:
                StepCandidate(message);
                break;
            default:
                StepFollower(message);
                break;
        }
    }

    /// <summary>Whether there is work for the host.</summary>
    public bool HasReady =>
        // Appends are a leader's work only (AnyFollowerCanTakeAppend checks the role): a leader that steps down while
        // committing its own removal (§4.2.2) may leave the flag set, and must not keep reporting work it will never do.
        !_inReady && ((_appendsPending && AnyFollowerCanTakeAppend())
            || CurrentHardState() != _reportedHardState
            || _log.UnstableEntries.Count > 0
            || _chunksToPersist.Count > 0
            || _log.PendingSnapshot is not null
            || _log.Committed > _log.Applying
            || _messages.Count > 0
            || _messagesAfterPersist.Count > 0
            || _readStates.Count > 0
            || _failedReads.Count > 0
            || (Leader, Role) != _reportedRole);

    /// <summary>Collects the work for the host (see <see cref="Ready"/> for what to do with it, in which order).</summary>
    public Ready GetReady()
    {
        AssertNotInReady();
        if (Role == RaftRole.Leader)
        {
            FlushAppends();
        }

        _readRoundOpen = false;
        var hardState = CurrentHardState();
        var hardStateChanged = hardState != _reportedHardState;
        var syncNeeded = hardState.Term != _reportedHardState.Term || hardState.VotedFor != _reportedHardState.VotedFor;
        var snapshot = _log.PendingSnapshot;
        var ready = new Ready
        {
            HardState = hardStateChanged ? hardState : null,
            Entries = _log.UnstableEntries.ToArray(),
            SnapshotChunks = _chunksToPersist.ToArray(),
            SnapshotToInstall = snapshot,
            CommittedEntries = _log.NextCommittedEntries(_options.MaxCommittedBytesPerReady),
            Messages = _messages,
            MessagesAfterPersist = _messagesAfterPersist,
            ReadStates = _readStates,
            FailedReads = _failedReads,
            RoleChange = (Leader, Role) != _reportedRole ? (Leader, Role) : null,
            MustSync = syncNeeded || _log.UnstableEntries.Count > 0 || _chunksToPersist.Count > 0 || snapshot is not null,
        };
        _reportedHardState = hardState;
        _reportedRole = (Leader, Role);
        _chunksToPersist.Clear();
        _messages = [];
        _messagesAfterPersist = [];
        _readStates = [];
        _failedReads = [];
        _inReady = true;
        return ready;
    }

    /// <summary>The host has done everything <paramref name="ready"/> asked (persisted, sent, applied).</summary>
    public void Advance(Ready ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        Invariant.Assert(_inReady, "Advance without a Ready");
        _inReady = false;
        _log.Advance();
        if (Role == RaftRole.Leader && _progress.TryGetValue(Id, out var self))
        {
            // The leader counts itself only for what it has made durable (§10.2.1: it may send before it writes).
            self.MaybeUpdate(_log.LastIndex);
            if (MaybeCommit() && Role == RaftRole.Leader)
            {
                _appendsPending = true;
            }
        }
    }

    /// <summary>Tells the core a member could not be reached, so the leader stops streaming to it optimistically.</summary>
    public void ReportUnreachable(NodeId node)
    {
        AssertNotInReady();
        if (Role == RaftRole.Leader && node != Id && _progress.TryGetValue(node, out var progress) && progress.State == ProgressState.Replicate)
        {
            progress.BecomeProbe();
        }
    }

    /// <summary>What the member knows, for tests, metrics and diagnostics.</summary>
    public RaftStatus Status()
    {
        var peers = new SortedDictionary<NodeId, PeerStatus>();
        foreach (var (id, progress) in _progress)
        {
            peers[id] = new PeerStatus(progress.State.ToString(), progress.Match, progress.Next, progress.RecentActive);
        }

        return new RaftStatus(Id, Group, Term, VotedFor, Role, Leader, _log.Committed, _log.Applied, _log.FirstIndex, _log.LastIndex, _log.Configuration, peers);
    }

    private HardState CurrentHardState()
    {
        // Planted bug: the vote is left out of what gets persisted (it stays whatever was persisted before).
        var vote = IsPlanted(PlantedBug.VoteNotPersisted) && _reportedHardState.Term != Term ? NodeId.None
            : IsPlanted(PlantedBug.VoteNotPersisted) ? _reportedHardState.VotedFor
            : VotedFor;
        return new HardState(Term, vote, _log.Committed);
    }

    private void AssertNotInReady() =>
        Invariant.Assert(!_inReady, "the core was called between GetReady and Advance");

    private void Send(Message message) => _messages.Add(message);

    private void SendAfterPersist(Message message) => _messagesAfterPersist.Add(message);

    private void ResetElectionTimeout() =>
        _randomizedElectionTimeout = _options.ElectionTicks + _random.Next(_options.ElectionTicks);

    /// <summary>
    /// The term rules every message goes through first (§3.3; pre-vote §9.6; leader stickiness §4.2.3). False when
    /// the message is stale or ignored and goes no further.
    /// </summary>
    private bool StepTerm(Message m)
    {
        if (m.Term > Term)
        {
            if (m.Kind is MessageKind.Vote or MessageKind.PreVote)
            {
                // §4.2.3: a member that heard from a leader within the minimum election timeout ignores candidates,
                // so a removed or partitioned member cannot depose a healthy leader (and leases stay valid, §6.4.1).
                // For a pre-vote that is part of the pre-vote rule itself (§9.6), so it holds without check-quorum.
                var inLease = (_options.CheckQuorum || m.Kind == MessageKind.PreVote)
                    && (!Leader.IsNone || _quietAfterStart) && _electionElapsed < _options.ElectionTicks;
                if (inLease && !m.LeaderTransfer)
                {
                    return false;
                }
            }

            switch (m.Kind)
            {
                case MessageKind.PreVote:
                    // A pre-vote asks about a future term and changes nobody's term (§9.6).
                    break;
                case MessageKind.PreVoteResponse when !m.Reject:
                    // Granted pre-votes carry the term the candidate would campaign in.
                    break;
                case MessageKind.Append or MessageKind.Heartbeat or MessageKind.Snapshot:
                    BecomeFollower(m.Term, m.From);
                    break;
                default:
                    BecomeFollower(m.Term, NodeId.None);
                    break;
            }

            return true;
        }

        if (m.Term < Term)
        {
            if ((_options.CheckQuorum || _options.PreVote) && m.Kind is MessageKind.Append or MessageKind.Heartbeat or MessageKind.Snapshot)
            {
                // A deposed leader cut off from the cluster learns the newer term from us and steps down (without
                // this, with pre-vote or check-quorum it could keep a follower from ever campaigning).
                Send(Reply(m, MessageKind.AppendResponse));
            }
            else if (m.Kind == MessageKind.PreVote)
            {
                Send(Reply(m, MessageKind.PreVoteResponse) with { Reject = true });
            }
            else if (m.Kind == MessageKind.Vote)
            {
                // Figure 3.1: the reply carries our term, so a candidate behind it catches up and can win next time.
                // Without it two members whose configurations disagree (one holds an uncommitted removal, §4.1) can
                // wait for each other for ever: simulator seed 57187.
                Send(Reply(m, MessageKind.VoteResponse) with { Reject = true });
            }

            return false;
        }

        return true;
    }

    private Message Reply(Message to, MessageKind kind) => new()
    {
        Kind = kind,
        Group = Group,
        From = Id,
        To = to.From,
        Term = Term,
    };

    private Message NewMessage(MessageKind kind, NodeId to) => new()
    {
        Kind = kind,
        Group = Group,
        From = Id,
        To = to,
        Term = Term,
    };

    private void BecomeFollower(Term term, NodeId leader)
    {
        var previousLeader = Leader;
        var previousTerm = Term;
        if (Role == RaftRole.Leader)
        {
            FailPendingReads();
        }

        if (term != Term)
        {
            Invariant.Assert(term > Term, "terms only grow");
            Term = term;
            VotedFor = NodeId.None;
        }

        Role = RaftRole.Follower;
        Leader = leader;
        ResetRoleState();
        if (leader != previousLeader || term != previousTerm)
        {
            FailForwardedReads();
        }
    }

    private void ResetRoleState()
    {
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        ResetElectionTimeout();
        _votes.Clear();
        _progress.Clear();
        _leadTransferee = NodeId.None;
        _appendsPending = false;
        _proposedBytes.Clear();
        _uncommittedBytes = 0;
    }

    private void StepLeader(Message m)
    {
        switch (m.Kind)
        {
            case MessageKind.AppendResponse:
                HandleAppendResponse(m);
                break;
            case MessageKind.HeartbeatResponse:
                HandleHeartbeatResponse(m);
                break;
            case MessageKind.SnapshotResponse:
                HandleSnapshotResponse(m);
                break;
            case MessageKind.ReadIndex:
                HandleReadRequest(m.Context, m.From);
                break;
        }
    }

    private void StepFollower(Message m)
    {
        switch (m.Kind)
        {
            case MessageKind.Append:
                HeardFromLeader(m.From);
                HandleAppend(m);
                break;
            case MessageKind.Heartbeat:
                HeardFromLeader(m.From);
                HandleHeartbeat(m);
                break;
            case MessageKind.Snapshot:
                HeardFromLeader(m.From);
                HandleSnapshot(m);
                break;
            case MessageKind.TimeoutNow:
                // §3.10: the leader hands over; campaign at once, skipping pre-vote, and tell voters why.
                if (Promotable)
                {
                    Campaign(preVote: false, transfer: true);
                }

                break;
            case MessageKind.ReadIndex:
                Send(Reply(m, MessageKind.ReadIndexResponse) with { Context = m.Context, Reject = true });
                break;
        }
    }

    private void HeardFromLeader(NodeId leader)
    {
        _electionElapsed = 0;
        if (Leader != leader)
        {
            Leader = leader;
            FailForwardedReads();
        }
    }

    private void StepCandidate(Message m)
    {
        switch (m.Kind)
        {
            case MessageKind.Append or MessageKind.Heartbeat or MessageKind.Snapshot:
                // §3.4: a candidate that hears from a leader of its term steps back.
                BecomeFollower(m.Term, m.From);
                StepFollower(m);
                break;
            case MessageKind.VoteResponse when Role == RaftRole.Candidate:
            case MessageKind.PreVoteResponse when Role == RaftRole.PreCandidate:
                HandleVoteResponse(m);
                break;
        }
    }

    private void TickElection()
    {
        _electionElapsed++;
        if (_electionElapsed >= _options.ElectionTicks)
        {
            _quietAfterStart = false;
        }

        if (Promotable && _electionElapsed >= _randomizedElectionTimeout)
        {
            // §3.4: no word from a leader for a randomized election timeout: campaign (after a pre-vote, §9.6).
            Campaign(preVote: _options.PreVote, transfer: false);
        }
    }

    private void TickLeader()
    {
        _electionElapsed++;
        _heartbeatElapsed++;
        if (_electionElapsed >= _options.ElectionTicks)
        {
            _electionElapsed = 0;
            if (_options.CheckQuorum && !CheckQuorumActive())
            {
                // §6.2: a leader that has not heard from a quorum for an election timeout steps down, so clients
                // stop waiting on it and a deposed leader does not linger.
                BecomeFollower(Term, NodeId.None);
                return;
            }

            if (!_leadTransferee.IsNone)
            {
                // §3.10: a transfer that did not finish within an election timeout is abandoned.
                _leadTransferee = NodeId.None;
            }
        }

        if (_heartbeatElapsed >= _options.HeartbeatTicks)
        {
            _heartbeatElapsed = 0;
            BroadcastHeartbeat();
        }

        TickSnapshots();
    }

    private bool CheckQuorumActive()
    {
        var active = 0;
        foreach (var voter in _log.Configuration.Voters)
        {
            if (voter == Id || (_progress.TryGetValue(voter, out var progress) && progress.RecentActive))
            {
                active++;
            }
        }

        foreach (var progress in _progress.Values)
        {
            progress.RecentActive = false;
        }

        return active >= _log.Configuration.QuorumSize;
    }
}

/// <summary>What a member knows (see <see cref="RaftNode.Status"/>).</summary>
public sealed record RaftStatus(
    NodeId Id,
    GroupId Group,
    Term Term,
    NodeId VotedFor,
    RaftRole Role,
    NodeId Leader,
    LogIndex Commit,
    LogIndex Applied,
    LogIndex FirstIndex,
    LogIndex LastIndex,
    Configuration Configuration,
    IReadOnlyDictionary<NodeId, PeerStatus> Peers);

/// <summary>The leader's view of one member's log.</summary>
public sealed record PeerStatus(string State, LogIndex Match, LogIndex Next, bool RecentActive);
