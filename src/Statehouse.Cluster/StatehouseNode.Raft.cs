using System.Buffers;
using System.Diagnostics;
using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using Microsoft.Extensions.Logging;
using Statehouse.Cluster.Raft;
using Statehouse.Core;
using Statehouse.Core.Codecs;
using Statehouse.Core.Model;
using Statehouse.Core.Store;
using Statehouse.Storage;

namespace Statehouse.Cluster;

/// <summary>One member of the cluster as this node sees it.</summary>
public sealed record RaftMemberInfo(EndPoint RaftEndpoint, bool IsLocal, bool IsLeader, bool IsAvailable, IReadOnlyDictionary<string, string>? Metadata);

/// <summary>
/// The clustered half of the node: the same proposal pipeline, but a batch becomes a Raft log entry that DotNext's
/// <see cref="RaftCluster"/> replicates; our <see cref="StatehouseRaftLog"/> stores it and applies it once committed,
/// on every member, through <see cref="IRaftStateHost"/>.
/// </summary>
public sealed partial class StatehouseNode : IRaftStateHost
{
    private StatehouseRaftLog? _raftLog;
    private RaftCluster? _cluster;
    private MembersStorage? _membersStorage;
    private SemaphoreSlim? _inFlight;
    private ILoggerFactory? _loggerFactory;
    private long _leaderTermSeen = -1;
    private volatile bool _raftBroken;
    private long _leadershipTerm = -1;
    private Exception? _applyFailure;
    private long _elections;
    private long _snapshotInstalls;
    private long _recoveries;
    private readonly Lock _barrierLock = new();
    private TaskCompletionSource<long>? _waitingBarrier;
    private bool _barrierRunning;

    /// <summary>Replication lag per follower id as last sampled on the leader (empty elsewhere); set by the server's monitor.</summary>
    public IReadOnlyDictionary<string, long> ReplicationLag { get; set; } = new Dictionary<string, long>();

    /// <summary>True when this node is a member of a Raft cluster (not the embedded single node).</summary>
    public bool IsClustered => _cluster is not null;

    /// <summary>True when this node leads (single node: always).</summary>
    public bool IsLeader
    {
        get
        {
            if (_cluster is not { } cluster)
            {
                return true;
            }

            try
            {
                return !cluster.LeadershipToken.IsCancellationRequested;
            }
            catch (Exception ex) when (ex is System.Diagnostics.UnreachableException or ObjectDisposedException)
            {
                // DotNext's zombie state (an unrecoverable internal failure, e.g. a failed term write): the watchdog
                // restarts the group.
                _raftBroken = true;
                return false;
            }
        }
    }

    /// <summary>The Raft term (single node: <see cref="SingleMemberTerm"/>).</summary>
    public long Term => _raftLog?.CurrentTerm ?? SingleMemberTerm;

    /// <summary>Highest committed log index known here.</summary>
    public long CommitIndex => _raftLog?.CommitIndex ?? _log.LastIndex;

    /// <summary>Leader changes seen by this node.</summary>
    public long Elections => Interlocked.Read(ref _elections);

    /// <summary>Snapshots installed from a leader.</summary>
    public long SnapshotInstalls => Interlocked.Read(ref _snapshotInstalls);

    /// <summary>Raft group restarts by the watchdog.</summary>
    public long Recoveries => Interlocked.Read(ref _recoveries);

    /// <summary>
    /// How far behind the leader this replica may be: zero on the leader, otherwise the time since it last had applied
    /// everything the leader said was committed. Null when it never heard from a leader.
    /// </summary>
    public TimeSpan? Staleness
    {
        get
        {
            if (IsLeader)
            {
                return TimeSpan.Zero;
            }

            var caughtUp = _raftLog!.CaughtUpTimestamp;
            return caughtUp == 0 ? null : Stopwatch.GetElapsedTime(caughtUp);
        }
    }

    /// <summary>The leader's node id as far as known without a network call (null: unknown).</summary>
    public string? LeaderId
    {
        get
        {
            if (IsLeader)
            {
                return NodeId;
            }

            if (_cluster?.Leader is not { } leader)
            {
                return null;
            }

            if (leader.TryGetMetadata() is { } metadata && metadata.TryGetValue(RaftOptions.MetadataKeys.NodeId, out var id))
            {
                return id;
            }

            // DotNext only caches a member's metadata once something asked for it: ask now, so the next caller (a
            // status page, a NotLeader hint) can name the leader instead of showing none.
            _ = WarmMetadataAsync(leader);
            return null;
        }
    }

    private static async Task WarmMetadataAsync(DotNext.Net.Cluster.Consensus.Raft.IRaftClusterMember leader)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await leader.GetMetadataAsync(false, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Best effort: the leader may be gone; the next call tries again.
        }
    }

    /// <summary>The leader's Raft endpoint as this node knows it (null: no leader known).</summary>
    public EndPoint? LeaderEndpoint => _cluster is null ? null : (IsLeader ? _cluster.LocalMemberAddress : _cluster.Leader?.EndPoint);

    /// <summary>The leader's metadata (node id, HTTP and gRPC addresses), or null when no leader is known or it did not answer.</summary>
    public async ValueTask<IReadOnlyDictionary<string, string>?> LeaderMetadataAsync(CancellationToken cancellationToken)
    {
        if (_cluster is null || IsLeader)
        {
            return _options.Raft?.Metadata;
        }

        if (_cluster.Leader is not { } leader)
        {
            return null;
        }

        try
        {
            return await leader.GetMetadataAsync(false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The members as this node knows them; metadata of remote members is fetched (and cached) on demand.</summary>
    public async Task<IReadOnlyList<RaftMemberInfo>> MembersAsync(CancellationToken cancellationToken)
    {
        if (_cluster is null)
        {
            return [];
        }

        var leader = LeaderEndpoint;
        var result = new List<RaftMemberInfo>();
        foreach (var member in _cluster.Members)
        {
            IReadOnlyDictionary<string, string>? metadata;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromMilliseconds(500));
                metadata = member.IsRemote ? await member.GetMetadataAsync(false, timeout.Token).ConfigureAwait(false) : _options.Raft!.Metadata;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                metadata = member.TryGetMetadata();
            }

            result.Add(new RaftMemberInfo(member.EndPoint, !member.IsRemote, Equals(member.EndPoint, leader),
                member.Status == DotNext.Net.Cluster.ClusterMemberStatus.Available || !member.IsRemote, metadata));
        }

        return result;
    }

    /// <summary>
    /// The Raft addresses of the configuration as this node holds it (on the leader: the committed one, since DotNext
    /// applies one change at a time and answers a change once committed). Empty for a single node.
    /// </summary>
    public IReadOnlyList<string> ConfigurationAddresses
    {
        get
        {
            try
            {
                return _cluster is { } cluster ? cluster.Members.Select(m => FormatEndPoint(m.EndPoint)).ToList() : [];
            }
            catch (ObjectDisposedException)
            {
                // The group was stopped (removed, or a recovery in progress): no configuration to show.
                return [];
            }
        }
    }

    /// <summary>This node's Raft address as the configuration names it (null for a single node).</summary>
    public string? SelfRaftAddress => _options.Raft is { } raft ? FormatEndPoint(raft.Endpoint) : null;

    /// <summary>False once the Raft group stopped (removed from the cluster, or down after a failed recovery).</summary>
    public bool RaftGroupRunning => _cluster is not null && RemovedBy is null && !_groupDown;

    /// <summary>Formats an endpoint the way configurations are compared across nodes (host:port).</summary>
    public static string FormatEndPoint(EndPoint endpoint) => endpoint is IPEndPoint ip ? ip.ToString() : endpoint.ToString() ?? "";

    /// <summary>Set once this node was removed from the cluster: it stopped its Raft group and serves no more requests.</summary>
    public string? RemovedBy { get; private set; }

    /// <summary>
    /// Called when the leader tells this node it was removed (DotNext never tells a removed member, notes defect 7):
    /// stops the Raft group so the node neither campaigns nor serves stale data, and marks it unhealthy.
    /// </summary>
    public async Task LeaveClusterAsync(string removedBy)
    {
        if (_cluster is null || RemovedBy is not null)
        {
            return;
        }

        RemovedBy = string.IsNullOrEmpty(removedBy) ? "the leader" : removedBy;
        _fatal ??= new StatehouseException(ErrorCode.Unavailable, $"This node was removed from the cluster by {RemovedBy}; stop it, or clear its data folder and --join again.");
        Log.RemovedFromCluster(_logger, RemovedBy);
        if (_cluster is { } cluster)
        {
            await cluster.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Adds a member (it must be running, started to join); leader only. It catches up before it counts in votes.</summary>
    public async Task<bool> AddMemberAsync(EndPoint endpoint, CancellationToken cancellationToken)
    {
        var cluster = _cluster ?? throw new StatehouseException(ErrorCode.InvalidArgument, "This node is not part of a cluster (started without --initial-cluster or --join).");
        ThrowIfNotLeader();
        return await cluster.AddMemberAsync(endpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes a member; leader only.</summary>
    public async Task<bool> RemoveMemberAsync(EndPoint endpoint, CancellationToken cancellationToken)
    {
        var cluster = _cluster ?? throw new StatehouseException(ErrorCode.InvalidArgument, "This node is not part of a cluster (started without --initial-cluster or --join).");
        ThrowIfNotLeader();
        return await cluster.RemoveMemberAsync(endpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Linearizable read point (ReadIndex): on the leader, confirms leadership with a quorum (strong read barrier) and
    /// returns an applied index that covers every write acknowledged before the call. Concurrent callers share barriers:
    /// a caller joins only a barrier that starts after it arrived.
    /// </summary>
    public Task<long> ReadIndexAsync()
    {
        if (_cluster is null)
        {
            return Task.FromResult(View.AppliedIndex);
        }

        ThrowIfNotLeader();
        lock (_barrierLock)
        {
            _waitingBarrier ??= new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var task = _waitingBarrier.Task;
            if (!_barrierRunning)
            {
                _barrierRunning = true;
                _ = Task.Run(RunBarriersAsync);
            }

            return task;
        }
    }

    private async Task RunBarriersAsync()
    {
        while (true)
        {
            TaskCompletionSource<long>? round;
            lock (_barrierLock)
            {
                round = _waitingBarrier;
                _waitingBarrier = null;
                if (round is null)
                {
                    _barrierRunning = false;
                    return;
                }
            }

            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var term = Term;
                if (!IsLeader)
                {
                    throw new NotLeaderException();
                }

                await _cluster!.ApplyReadBarrierAsync(ReadBarrierType.Strong, timeout.Token).ConfigureAwait(false);

                // Lost leadership during the barrier: DotNext then answers from the (possibly deposed) leader's commit
                // index without a quorum check. Only a barrier confirmed in one unchanged term is a read point.
                if (!IsLeader || Term != term)
                {
                    throw new NotLeaderException();
                }

                round.TrySetResult(_raftLog!.AppliedIndex);
            }
            catch (Exception ex)
            {
                round.TrySetException(ex is NotLeaderException or OperationCanceledException or QuorumUnreachableException
                    ? new StatehouseException(ErrorCode.Unavailable, $"Could not confirm leadership with a quorum for a linearizable read ({ex.GetType().Name}); retry.", ex)
                    : ex);
            }
        }
    }

    /// <summary>Waits until this replica has applied <paramref name="index"/>.</summary>
    public ValueTask WaitForAppliedIndexAsync(long index, CancellationToken cancellationToken) =>
        _raftLog is null ? ValueTask.CompletedTask : _raftLog.WaitForAppliedAsync(index, cancellationToken);

    private void ThrowIfNotLeader()
    {
        if (!IsLeader)
        {
            throw new StatehouseException(ErrorCode.NotLeader, "This node is not the leader.");
        }
    }

    // ---- start ----

    private static async Task<StatehouseNode> StartRaftAsync(NodeOptions options, ILoggerFactory? loggerFactory, ILogger logger, StateMachine machine, SnapshotStore snapshots, Storage.WriteAheadLog wal, long snapshotIndex, CancellationToken cancellationToken)
    {
        var raft = options.Raft!;
        var node = new StatehouseNode(options, logger, machine, wal, snapshots)
        {
            _lastSnapshotIndex = snapshotIndex,
            _loggerFactory = loggerFactory,
            _inFlight = new SemaphoreSlim(raft.MaxEntriesInFlight, raft.MaxEntriesInFlight),
        };
        try
        {
            await node.StartRaftGroupAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await node.StopRaftAsync().ConfigureAwait(false);
            throw;
        }

        node._loop = Task.Factory.StartNew(node.RunRaftLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        node._maintenance = Task.Run(node.RunMaintenanceAsync, CancellationToken.None);
        return node;
    }

    /// <summary>Opens the Raft log over the current state and starts the Raft group (at start-up and after a watchdog stop).</summary>
    private async Task StartRaftGroupAsync(CancellationToken cancellationToken)
    {
        var options = _options;
        var raft = options.Raft!;
        var membersPath = Path.Combine(options.DataDirectory, "raft-members");
        var joiningPath = Path.Combine(options.DataDirectory, "raft-joining");
        var hasData = _log.LastIndex > 0 || _snapshots.Latest is not null;
        if (!File.Exists(membersPath) && !hasData && raft.InitialMembers.Count == 0 && !File.Exists(joiningPath))
        {
            // A fresh folder that joins: mark it, so a restart before the join commits (the leader's catch-up already
            // wrote log entries or a snapshot here, but no membership yet) is told apart from a single node's folder.
            await using (var marker = new FileStream(joiningPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough))
            {
                marker.Flush(flushToDisk: true);
            }

            PhysicalFileSystem.Instance.SyncDirectory(options.DataDirectory);
        }

        if (!File.Exists(membersPath) && hasData && !File.Exists(joiningPath))
        {
            throw new StatehouseException(ErrorCode.InvalidArgument,
                $"The data folder {options.DataDirectory} was written by a single node (no Raft membership in it); a cluster member needs a fresh folder. Copy the data in through a client instead.");
        }

        if (_snapshots.Latest is { } latest && latest.Index > _machine.View.AppliedIndex)
        {
            // A snapshot installed just before the group was stopped is newer than the state: start from it.
            await using var body = _snapshots.OpenRead(latest);
            _machine.Restore(body);
            Interlocked.Exchange(ref _lastSnapshotIndex, latest.Index);
        }

        var meta = new RaftMetadataStore(options.DataDirectory, logger: _loggerFactory?.CreateLogger<RaftMetadataStore>());
        _raftLog = StatehouseRaftLog.Open(options.DataDirectory, _log, meta, _snapshots, _machine.View.AppliedIndex, this, raft.TailCacheBytes, _logger);

        _membersStorage = new MembersStorage(membersPath);
        var storage = (IClusterConfigurationStorage<EndPoint>)_membersStorage;
        var configuration = await storage.LoadConfigurationAsync(cancellationToken).ConfigureAwait(false);
        if (configuration.Members.Count == 0 && raft.InitialMembers.Count > 0)
        {
            if (!raft.InitialMembers.Values.Any(e => e.Equals(raft.Endpoint)))
            {
                throw new StatehouseException(ErrorCode.InvalidArgument, $"The initial cluster does not list this node's Raft address {raft.Endpoint}.");
            }

            foreach (var endpoint in raft.InitialMembers.Values)
            {
                configuration = configuration.Add(endpoint);
            }

            await ((IClusterConfigurationStorage)storage).SaveConfigurationAsync(configuration, 0, cancellationToken).ConfigureAwait(false);
        }

        var config = new RaftCluster.TcpConfiguration(raft.Endpoint)
        {
            ConfigurationStorage = storage,
            ColdStart = false,
            LowerElectionTimeout = raft.ElectionTimeoutMinMs,
            UpperElectionTimeout = raft.ElectionTimeoutMaxMs,
            RequestTimeout = raft.RequestTimeout,
            MaxReplicationLag = raft.ReplicationQueueLength,
            LoggerFactory = _loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        };
        foreach (var (key, value) in raft.Metadata)
        {
            config.Metadata[key] = value;
        }

        var cluster = new RaftCluster(config) { AuditTrail = _raftLog };
        cluster.LeaderChanged += OnLeaderChanged;
        _cluster = cluster;
        _raftLog.Start();
        await cluster.StartAsync(cancellationToken).ConfigureAwait(false);
        Log.RaftStarted(_logger, options.NodeId, raft.Endpoint.ToString(), Term, _machine.View.AppliedIndex, _raftLog.LastIndex, _raftLog.SnapshotIndex,
            string.Join(",", configuration.Members.Select(m => m.ToString())));
    }

    private void OnLeaderChanged(RaftCluster<RaftClusterMember> cluster, RaftClusterMember? leader)
    {
        if (leader is null)
        {
            return;
        }

        if (!leader.IsRemote)
        {
            // The term this node leads in. Entries are stamped with it, not with the stored current term: a leader
            // that is stepping down may already have stored a newer term, and an entry of a term it does not lead
            // would break Raft's log matching (a new leader's entry at the same index and term).
            Interlocked.Exchange(ref _leadershipTerm, Term);
        }

        Interlocked.Increment(ref _elections);
        Log.LeaderChanged(_logger, leader.EndPoint.ToString() ?? "?", Term);
    }

    // ---- proposals ----

    /// <summary>The clustered loop: batches proposals into entries and hands them to Raft, several in flight.</summary>
    private async Task RunRaftLoop()
    {
        var reader = _proposals.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            await _inFlight!.WaitAsync().ConfigureAwait(false);
            var batch = new List<Proposal>(Math.Min(_options.MaxBatchCommands, 256));
            DrainInto(batch);

            if (batch.Count == 0)
            {
                _inFlight.Release();
                continue;
            }

            _ = ReplicateAsync(batch);
        }

        Log.LoopStopped(_logger, _machine.View.AppliedIndex);
    }

    private async Task ReplicateAsync(List<Proposal> batch)
    {
        try
        {
            if (_fatal is { } fatal)
            {
                FailAll(batch, fatal);
                return;
            }

            if (!IsLeader)
            {
                FailNotLeader(batch, appended: false);
                return;
            }

            CommandBatch entry;
            var buffer = new ArrayBufferWriter<byte>(4096);
            try
            {
                entry = new CommandBatch(NowMs(), batch.Select(p => p.Command!).ToArray());
                CommandCodec.Encode(entry, buffer);
            }
            catch (Exception ex)
            {
                FailAll(batch, ex);
                return;
            }

            var context = new RaftBatch(batch, entry);
            var leadershipTerm = Interlocked.Read(ref _leadershipTerm);
            if (leadershipTerm < 0 || Term != leadershipTerm)
            {
                // Stepping down (a newer term is stored) or leadership not yet announced: never appended.
                FailNotLeader(batch, appended: false);
                return;
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                await _cluster!.ReplicateAsync(new BinaryLogEntry { Term = leadershipTerm, Content = buffer.WrittenMemory, Context = context }, _stopping.Token).ConfigureAwait(false);
                _metrics.RecordAppend(Stopwatch.GetElapsedTime(started).TotalMilliseconds, batch.Count, buffer.WrittenCount);
            }
            catch (Exception ex)
            {
                // Leadership lost or stopping: the entry may already be in the log and may still commit under the
                // next leader. The outcome is unknown; the client's retry with the same request id is answered once.
                FailNotLeader(batch, appended: true, ex);
            }
        }
        catch (Exception ex)
        {
            // Nothing may leave proposals unanswered.
            FailAll(batch, ex);
        }
        finally
        {
            _inFlight!.Release();
        }
    }

    private static void FailNotLeader(List<Proposal> batch, bool appended, Exception? cause = null)
    {
        const string unknown = "Leadership changed while the write was replicating; its outcome is unknown. Retry with the same request id.";
        const string notApplied = "This node is not the leader; the write was not applied.";
        var error = (appended, cause) switch
        {
            (true, null) => new StatehouseException(ErrorCode.Unavailable, unknown),
            (true, _) => new StatehouseException(ErrorCode.Unavailable, unknown, cause),
            (false, null) => new StatehouseException(ErrorCode.NotLeader, notApplied),
            (false, _) => new StatehouseException(ErrorCode.NotLeader, notApplied, cause),
        };
        foreach (var p in batch)
        {
            p.Completion.TrySetException(error);
        }
    }

    // ---- IRaftStateHost (called by the log's apply task, in index order) ----

    void IRaftStateHost.ApplyEntry(long index, ReadOnlyMemory<byte> commandBatch, object? context)
    {
        try
        {
            if (commandBatch.IsEmpty)
            {
                _machine.AdvanceAppliedIndex(index);
                Interlocked.Exchange(ref _applied, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                return;
            }

            var raftBatch = context as RaftBatch;
            var entry = raftBatch?.Entry ?? CommandCodec.Decode(commandBatch.Span);
            var results = _machine.Apply(entry, index);
            if (raftBatch is not null)
            {
                Complete(raftBatch.Proposals, entry, results, commandBatch.Length);
            }
            else
            {
                if (IsLeader)
                {
                    TrackLeases(entry.Commands, results);
                }

                Interlocked.Exchange(ref _applied, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                CountForSnapshot(1, commandBatch.Length, entry.Commands.Count);
            }
        }
        catch (Exception ex)
        {
            // A committed entry that cannot be applied: stop rather than diverge from the other replicas. The state may
            // be half-changed, so the watchdog must not re-apply on top of it: only a restart from disk recovers.
            _applyFailure ??= ex;
            _fatal ??= ex;
            Log.ApplyFailed(_logger, index, ex);
            if (context is RaftBatch failed)
            {
                FailAll(failed.Proposals, ex);
            }

            throw;
        }
    }

    void IRaftStateHost.RestoreSnapshot(SnapshotInfo snapshot)
    {
        using (var body = _snapshots.OpenRead(snapshot))
        {
            _machine.Restore(body);
        }

        Interlocked.Exchange(ref _lastSnapshotIndex, snapshot.Index);
        Interlocked.Increment(ref _snapshotInstalls);
        _entriesSinceSnapshot = 0;
        _bytesSinceSnapshot = 0;
        _commandsSinceSnapshot = 0;
        _leaseClock.Reset(_machine.View.Leases.Values.Select(l => (l.Id, l.TtlSeconds)), NowMs());
        Interlocked.Exchange(ref _applied, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    void IRaftStateHost.EntriesDropped(IReadOnlyList<object> contexts, bool mayHaveApplied)
    {
        foreach (var context in contexts)
        {
            if (context is RaftBatch batch)
            {
                FailNotLeader(batch.Proposals, mayHaveApplied);
            }
        }
    }

    void IRaftStateHost.Failed(Exception failure)
    {
        _fatal ??= failure;
        Log.StorageFailed(_logger, failure);
    }

    /// <summary>Once per term in which this node leads: lease deadlines restart with their full TTL (as etcd does).</summary>
    private void RefreshLeadership()
    {
        if (_cluster is null || !IsLeader)
        {
            return;
        }

        var term = Term;
        if (Interlocked.Read(ref _leaderTermSeen) == term || _raftLog!.AppliedIndex < _raftLog.CommitIndex)
        {
            return;
        }

        Interlocked.Exchange(ref _leaderTermSeen, term);
        _leaseClock.Reset(View.Leases.Values.Select(l => (l.Id, l.TtlSeconds)), NowMs());
        Log.BecameLeader(_logger, term);
    }

    private async Task StopRaftAsync()
    {
        if (_cluster is { } cluster)
        {
            try
            {
                await cluster.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.MaintenanceFailed(_logger, ex);
            }

            cluster.Dispose();
        }

        if (_raftLog is { } log)
        {
            await log.StopAsync().ConfigureAwait(false);
            log.Dispose();
        }

        _membersStorage?.Dispose();
    }

    /// <summary>A batch of proposals travelling with its log entry (DotNext passes it to the apply as the context).</summary>
    private sealed class RaftBatch(List<Proposal> proposals, CommandBatch entry)
    {
        public List<Proposal> Proposals { get; } = proposals;

        public CommandBatch Entry { get; } = entry;
    }
}
