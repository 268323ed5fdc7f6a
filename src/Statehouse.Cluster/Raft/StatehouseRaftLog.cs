using System.Diagnostics;
using System.Threading.Channels;
using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;
using Statehouse.Core;
using Statehouse.Storage;
using DotNextWal = DotNext.Net.Cluster.Consensus.Raft.StateMachine.WriteAheadLog;
using StorageWal = Statehouse.Storage.WriteAheadLog;

namespace Statehouse.Cluster.Raft;

/// <summary>What the log calls on the node that owns the state machine (always from the apply task, in order).</summary>
internal interface IRaftStateHost
{
    /// <summary>Applies committed entry <paramref name="index"/>: a command batch, or an empty payload (no-op or configuration).</summary>
    void ApplyEntry(long index, ReadOnlyMemory<byte> commandBatch, object? context);

    /// <summary>Replaces the state with an installed snapshot (apply is paused meanwhile).</summary>
    void RestoreSnapshot(SnapshotInfo snapshot);

    /// <summary>Leader-side proposals whose entries were dropped (overwritten or covered by an installed snapshot).</summary>
    void EntriesDropped(IReadOnlyList<object> contexts, bool mayHaveApplied);

    /// <summary>The log or the apply task failed for good.</summary>
    void Failed(Exception failure);
}

/// <summary>
/// Our log (<see cref="StorageWal"/>), term/vote store and snapshots behind DotNext's <see cref="IPersistentState"/>.
/// See docs/internals/raft-integration.md: the base class is a dormant shell that only exists because 6.12 gives no
/// other way to implement the interface outside DotNext; every interface member used by RaftCluster is re-implemented
/// explicitly here, except the <c>ConfigurationStorage</c> property, which the base holds.
/// </summary>
/// <remarks>
/// Durability: leader appends go through one writer task (group commit, one fdatasync per batch of appends);
/// follower appends return only after their fdatasync (DotNext's own log acknowledges before flushing); term and vote
/// are saved durably before the call returns. Committed entries are applied by one apply task, in order.
/// </remarks>
internal sealed class StatehouseRaftLog : DotNextWal, IPersistentState
{
    /// <summary>Most entries one read hands to a consumer (a lagging follower gets the rest in later rounds).</summary>
    private const int MaxEntriesPerRead = 1024;

    /// <summary>Most payload bytes one read hands to a consumer.</summary>
    private const long MaxBytesPerRead = 4L << 20;

    /// <summary>Most entries applied before the applied index is published (keeps waiters moving in long catch-ups).</summary>
    private const int MaxEntriesPerApplyRound = 512;

    private readonly StorageWal _wal;
    private readonly RaftMetadataStore _meta;
    private readonly SnapshotStore _snapshots;
    private readonly IRaftStateHost _host;
    private readonly ILogger _logger;
    private readonly long _cacheBudgetBytes;
    private readonly Lock _walLock = new();
    private readonly Lock _stateLock = new();
    private readonly SemaphoreSlim _applyGate = new(1, 1);
    private readonly TermIndex _terms = new();
    private readonly List<StoredLogEntry> _cache = [];
    private readonly Dictionary<long, object> _contexts = [];
    private readonly Channel<PendingAppend> _appends = Channel.CreateUnbounded<PendingAppend>(new() { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private RaftMetadata _metadata;
    private SnapshotInfo? _snapshot;
    private long _cacheBytes;
    private long _lastIndex;
    private long _commitIndex;
    private long _appliedIndex;
    private long _freshTimestamp;
    private long _announcedCommit;
    private long _announcedTimestamp;
    private long _lastAppendEnd;
    private bool _lastAppendEmpty;
    private volatile bool _closed;
    private TaskCompletionSource _commitSignal = NewSignal();
    private TaskCompletionSource _appliedSignal = NewSignal();
    private volatile Exception? _failure;
    private Task _writer = Task.CompletedTask;
    private Task _applier = Task.CompletedTask;
    private int _started;

    private StatehouseRaftLog(string shellDirectory, StorageWal wal, RaftMetadataStore meta, SnapshotStore snapshots, IRaftStateHost host, long cacheBudgetBytes, ILogger logger)
        : base(new Options { Location = shellDirectory }, IStateMachine.CreateNoOp())
    {
        _wal = wal;
        _meta = meta;
        _snapshots = snapshots;
        _host = host;
        _cacheBudgetBytes = cacheBudgetBytes;
        _logger = logger;
    }

    /// <summary>
    /// Opens the log over an already restored state: <paramref name="appliedIndex"/> is what the state machine holds
    /// (the snapshot it was restored from at start-up, or more when the watchdog reopens the log under a live state).
    /// Nothing beyond it is applied until a leader says it is committed.
    /// </summary>
    public static StatehouseRaftLog Open(string dataDirectory, StorageWal wal, RaftMetadataStore meta, SnapshotStore snapshots, long appliedIndex, IRaftStateHost host, long cacheBudgetBytes, ILogger logger)
    {
        var log = new StatehouseRaftLog(Path.Combine(dataDirectory, "raft-shell"), wal, meta, snapshots, host, cacheBudgetBytes, logger);
        log._metadata = meta.Load();
        log._snapshot = snapshots.Latest;
        var snapshotIndex = log._snapshot?.Index ?? 0;
        if (appliedIndex < snapshotIndex || (appliedIndex > snapshotIndex && appliedIndex > wal.LastIndex))
        {
            throw new InvalidOperationException($"The state holds index {appliedIndex}, which neither the newest snapshot ({snapshotIndex}) nor the log (to {wal.LastIndex}) covers.");
        }

        var snapshotTerm = log._snapshot?.Term ?? 0;
        CheckCoverage(dataDirectory, wal, snapshots, log._metadata, snapshotIndex, snapshotTerm);
        if (wal.LastIndex < snapshotIndex)
        {
            // The log does not continue the snapshot: keep the snapshot, start an empty log after it.
            wal.ResetAfterSnapshot(snapshotIndex, snapshotTerm);
        }
        else if (snapshotIndex > 0 && wal.FirstIndex <= snapshotIndex && wal.Read(snapshotIndex, snapshotIndex).First().Term != snapshotTerm)
        {
            // A crash between an installed snapshot and the log reset left a stale, conflicting tail: drop it, or this
            // node would report (and vote with) a last term it does not hold.
            wal.ResetAfterSnapshot(snapshotIndex, snapshotTerm);
        }

        foreach (var record in wal.Read(wal.FirstIndex))
        {
            log._terms.Add(record.Index, record.Term);
            if (record.Index > appliedIndex)
            {
                log.CacheAdd(StoredLogEntry.From(record));
            }
        }

        // Entries up to the applied index are committed (they were applied); nothing newer is known committed yet.
        log._lastIndex = Math.Max(wal.LastIndex, snapshotIndex);
        log._commitIndex = appliedIndex;
        log._appliedIndex = appliedIndex;
        return log;
    }

    /// <summary>
    /// Refuses to open (so the member never votes or acknowledges) when the files cannot hold everything this member
    /// promised: records between the snapshot and the log's start are in no file, or the persisted term is below a
    /// term the log or snapshot holds (raft.meta lost or rolled back: the member could vote twice in one term).
    /// </summary>
    private static void CheckCoverage(string dataDirectory, StorageWal wal, SnapshotStore snapshots, RaftMetadata metadata, long snapshotIndex, long snapshotTerm)
    {
        var walDirectory = Path.Combine(dataDirectory, "wal");
        if (wal.FirstIndex > snapshotIndex + 1)
        {
            // Only a reset after an installed snapshot moves the start past a snapshot, and it keeps that snapshot.
            var rejected = snapshots.Rejected.Select(r => r.Path).ToList();
            var what = rejected.Count > 0
                ? $"the snapshots {string.Join(", ", rejected)} failed verification (set aside as *.corrupt)"
                : "the snapshot that covered them is missing";
            throw new WalDataLossException(walDirectory,
                $"the log starts at index {wal.FirstIndex} but the newest valid snapshot covers only up to index {snapshotIndex}, so entries {snapshotIndex + 1}..{wal.FirstIndex - 1} are in no file: {what} (in {snapshots.DirectoryPath}).",
                snapshotIndex + 1, wal.LastIndex, wal.FirstIndex, wal.LastIndex, [.. rejected, snapshots.DirectoryPath, walDirectory]);
        }

        if (metadata.Term > 0 && snapshotIndex == 0 && wal.LastIndex == 0 && !wal.LastRecovery.ManifestFound)
        {
            // The WAL was created before raft.meta on this member's first start, and a member that has a term has
            // a manifest: an empty log with no manifest next to a persisted term is a wiped log folder.
            throw new WalDataLossException(walDirectory,
                $"{Path.Combine(dataDirectory, RaftMetadataStore.FileName)} holds term {metadata.Term} but the log folder holds no segment and no {StorageWal.ManifestFileName}: the log was deleted, and a member must not vote with an empty log.",
                1, 0, wal.FirstIndex, wal.LastIndex, [walDirectory]);
        }

        var highestTerm = Math.Max(wal.LastTerm, snapshotTerm);
        if (metadata.Term < highestTerm)
        {
            // A member persists a term before it appends or installs anything of that term (Raft §5.1, §5.2).
            var metaPath = Path.Combine(dataDirectory, RaftMetadataStore.FileName);
            throw new WalDataLossException(walDirectory,
                $"{metaPath} holds term {metadata.Term} but the log or snapshot holds term {highestTerm}: the term and vote were lost or rolled back, so this member could vote twice in one term.",
                wal.FirstIndex, wal.LastIndex, wal.FirstIndex, wal.LastIndex, [metaPath]);
        }
    }

    /// <summary>Index of the last entry held (durable).</summary>
    public long LastIndex => Volatile.Read(ref _lastIndex);

    /// <summary>Highest index known committed.</summary>
    public long CommitIndex => Volatile.Read(ref _commitIndex);

    /// <summary>Highest index applied to the state machine.</summary>
    public long AppliedIndex => Volatile.Read(ref _appliedIndex);

    /// <summary>Current term (durable).</summary>
    public long CurrentTerm
    {
        get
        {
            lock (_stateLock)
            {
                return _metadata.Term;
            }
        }
    }

    /// <summary>Index of the newest snapshot (local or installed).</summary>
    public long SnapshotIndex
    {
        get
        {
            lock (_stateLock)
            {
                return _snapshot?.Index ?? 0;
            }
        }
    }

    /// <summary>
    /// When the leader last told this replica an exact commit index that it has applied (Stopwatch ticks; 0 = never):
    /// the replica was at most that old then. A replica still catching up does not move it.
    /// </summary>
    public long CaughtUpTimestamp => Volatile.Read(ref _freshTimestamp);

    /// <summary>Set when the log or the apply task failed.</summary>
    public Exception? Failure => _failure;

    /// <summary>Log bytes on disk.</summary>
    public long SizeBytes
    {
        get
        {
            lock (_walLock)
            {
                return _wal.SizeBytes;
            }
        }
    }

    /// <summary>The term of entry <paramref name="index"/> when it is still known (null when compacted away).</summary>
    public long? TermAt(long index)
    {
        lock (_stateLock)
        {
            return TermAtLocked(index);
        }
    }

    private long? TermAtLocked(long index)
    {
        if (index == 0)
        {
            return 0;
        }

        if (_snapshot is { } s && index == s.Index)
        {
            return s.Term;
        }

        return _terms.TermAt(index);
    }

    // ---- IPersistentState: term and vote ----

    long IPersistentState.Term => CurrentTerm;

    bool IPersistentState.IsVotedFor(in ClusterMemberId id)
    {
        string? vote;
        lock (_stateLock)
        {
            vote = _metadata.VotedFor;
        }

        return vote is null || (ClusterMemberId.TryParse(vote, out var voted) && voted == id);
    }

    ValueTask<long> IPersistentState.IncrementTermAsync(ClusterMemberId member, CancellationToken token)
    {
        lock (_stateLock)
        {
            var next = new RaftMetadata(_metadata.Term + 1, member.ToString());
            _meta.Save(next);
            _metadata = next;
            return ValueTask.FromResult(next.Term);
        }
    }

    ValueTask IPersistentState.UpdateTermAsync(long term, bool resetLastVote, CancellationToken token)
    {
        lock (_stateLock)
        {
            if (term < _metadata.Term)
            {
                return ValueTask.CompletedTask;
            }

            var next = new RaftMetadata(term, resetLastVote || term != _metadata.Term ? null : _metadata.VotedFor);
            if (next != _metadata)
            {
                _meta.Save(next);
                _metadata = next;
            }
        }

        return ValueTask.CompletedTask;
    }

    ValueTask IPersistentState.UpdateVotedForAsync(ClusterMemberId member, CancellationToken token)
    {
        lock (_stateLock)
        {
            var next = _metadata with { VotedFor = member.ToString() };
            if (next != _metadata)
            {
                _meta.Save(next);
                _metadata = next;
            }
        }

        return ValueTask.CompletedTask;
    }

    // ---- IAuditTrail: indexes, commit, apply ----

    long IAuditTrail.LastCommittedEntryIndex => CommitIndex;

    long IAuditTrail.LastEntryIndex => LastIndex;

    Task IAuditTrail.InitializeAsync(CancellationToken token)
    {
        Start();
        return Task.CompletedTask;
    }

    /// <summary>Starts the writer and apply tasks (idempotent).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        _writer = Task.Factory.StartNew(RunWriterAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        _applier = Task.Factory.StartNew(RunApplierAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    ValueTask<long> IAuditTrail.CommitAsync(long endIndex, CancellationToken token)
    {
        long delta = 0;
        lock (_stateLock)
        {
            var target = Math.Min(endIndex, _lastIndex);
            if (target > _commitIndex)
            {
                delta = target - _commitIndex;
                _commitIndex = target;
            }

            // DotNext passes min(leader commit, last index of this AppendEntries): it is the leader's exact commit index
            // when below that last index, or after an empty AppendEntries (sent only to a follower holding everything).
            if (_lastAppendEmpty || endIndex < _lastAppendEnd)
            {
                var now = Stopwatch.GetTimestamp();
                _announcedCommit = endIndex;
                _announcedTimestamp = now;
                if (_appliedIndex >= endIndex)
                {
                    Volatile.Write(ref _freshTimestamp, now);
                }
            }
        }

        if (delta > 0)
        {
            Signal(ref _commitSignal);
        }

        return ValueTask.FromResult(delta);
    }

    ValueTask IAuditTrail.WaitForApplyAsync(long index, CancellationToken token) => WaitForAppliedAsync(index, token);

    ValueTask IAuditTrail.WaitForApplyAsync(CancellationToken token) =>
        new(Volatile.Read(ref _appliedSignal).Task.WaitAsync(token));

    /// <summary>Waits until entry <paramref name="index"/> is applied; throws when the log failed.</summary>
    public async ValueTask WaitForAppliedAsync(long index, CancellationToken token)
    {
        while (true)
        {
            var signal = Volatile.Read(ref _appliedSignal).Task;
            if (_failure is { } failure)
            {
                throw new InvalidOperationException($"The Raft log failed: {failure.Message}", failure);
            }

            if (AppliedIndex >= index)
            {
                return;
            }

            ObjectDisposedException.ThrowIf(_closed, this);

            await signal.WaitAsync(token).ConfigureAwait(false);
        }
    }

    // ---- Appends ----

    async ValueTask<long> IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, CancellationToken token)
    {
        if (entry.IsSnapshot)
        {
            throw new InvalidOperationException("A snapshot cannot be appended at the end of the log.");
        }

        var stored = await CopyPayloadAsync(entry, token).ConfigureAwait(false);
        var context = entry is IInputLogEntry input ? input.Context : null;
        var pending = new PendingAppend(entry.Term, stored, context);
        if (!_appends.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The log is closed.");
        }

        // Once queued the append happens even if the caller gives up: never half a batch.
        return await pending.Completion.Task.ConfigureAwait(false);
    }

    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntryImpl>(ILogEntryProducer<TEntryImpl> entries, long startIndex, bool skipCommitted, CancellationToken token)
    {
        // Incoming entries are streams valid only for their turn: copy each one now.
        var received = new List<(long Term, byte[] Stored)>((int)Math.Min(entries.RemainingCount, 4096));
        while (await entries.MoveNextAsync().ConfigureAwait(false))
        {
            var entry = entries.Current;
            if (entry.IsSnapshot)
            {
                throw new InvalidOperationException("A snapshot cannot be appended among log entries.");
            }

            received.Add((entry.Term, await CopyPayloadAsync(entry, token).ConfigureAwait(false)));
        }

        lock (_stateLock)
        {
            _lastAppendEmpty = received.Count == 0;
            _lastAppendEnd = startIndex + received.Count - 1;
        }

        if (received.Count == 0)
        {
            if (startIndex > LastIndex + 1)
            {
                throw new ArgumentOutOfRangeException(nameof(startIndex));
            }

            return;
        }

        AppendFollower(received, startIndex, skipCommitted);
    }

    private void AppendFollower(List<(long Term, byte[] Stored)> received, long startIndex, bool skipCommitted)
    {
        List<object>? dropped = null;
        lock (_walLock)
        {
            ThrowIfFailed();
            if (startIndex > _lastIndex + 1)
            {
                throw new ArgumentOutOfRangeException(nameof(startIndex), startIndex, $"The log ends at {_lastIndex}.");
            }

            var k = 0;
            for (; k < received.Count && startIndex + k <= _commitIndex; k++)
            {
                if (!skipCommitted)
                {
                    throw new InvalidOperationException($"Entry {startIndex + k} is committed and cannot be replaced.");
                }
            }

            // Raft §5.3: only a conflicting entry (same index, other term) and what follows it are replaced; a matching
            // tail is kept, so a delayed, shorter AppendEntries never removes entries a newer one added.
            lock (_stateLock)
            {
                for (; k < received.Count; k++)
                {
                    var index = startIndex + k;
                    if (index > _lastIndex || TermAtLocked(index) != received[k].Term)
                    {
                        break;
                    }
                }
            }

            if (k == received.Count)
            {
                return;
            }

            var from = startIndex + k;
            try
            {
                if (from <= _lastIndex)
                {
                    _wal.TruncateSuffix(from);
                    lock (_stateLock)
                    {
                        _terms.TruncateFrom(from);
                        CacheTruncateFrom(from);
                        _lastIndex = from - 1;
                        dropped = TakeContexts(static (i, f) => i >= f, from);
                    }
                }

                var records = new LogRecord[received.Count - k];
                for (var j = 0; j < records.Length; j++)
                {
                    records[j] = new LogRecord(from + j, received[k + j].Term, received[k + j].Stored);
                }

                _wal.Append(records);
                lock (_stateLock)
                {
                    foreach (var record in records)
                    {
                        _terms.Add(record.Index, record.Term);
                        CacheAdd(StoredLogEntry.From(record));
                    }

                    _lastIndex = records[^1].Index;
                }
            }
            catch (Exception ex) when (ex is WalFailedException or IOException)
            {
                Fail(ex);
                throw;
            }
        }

        if (dropped is { Count: > 0 })
        {
            // Another node may still hold and commit a truncated entry: its outcome is unknown, never "not applied".
            _host.EntriesDropped(dropped, mayHaveApplied: true);
        }
    }

    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntryImpl>(TEntryImpl entry, long startIndex, CancellationToken token)
    {
        if (!entry.IsSnapshot)
        {
            var stored = await CopyPayloadAsync(entry, token).ConfigureAwait(false);
            AppendFollower([(entry.Term, stored)], startIndex, skipCommitted: false);
            return;
        }

        await InstallSnapshotAsync(entry, startIndex, token).ConfigureAwait(false);
    }

    private async Task InstallSnapshotAsync<TEntry>(TEntry entry, long snapshotIndex, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        if (snapshotIndex <= CommitIndex)
        {
            throw new InvalidOperationException($"Snapshot index {snapshotIndex} is not beyond the commit index {CommitIndex}.");
        }

        var started = Stopwatch.GetTimestamp();
        SnapshotInfo info;
        await SnapshotGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            using var writer = _snapshots.BeginWrite(snapshotIndex, entry.Term);
            var buffer = new byte[64 * 1024];
            await entry.WriteToAsync(IAsyncBinaryWriter.Create(writer.Body, buffer), token).ConfigureAwait(false);
            info = writer.Commit();
        }
        finally
        {
            SnapshotGate.Release();
        }

        List<object> dropped;
        await _applyGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            _host.RestoreSnapshot(info);
            lock (_walLock)
            {
                bool keepTail;
                lock (_stateLock)
                {
                    keepTail = snapshotIndex <= _lastIndex && TermAtLocked(snapshotIndex) == entry.Term;
                }

                try
                {
                    if (keepTail)
                    {
                        _wal.TruncatePrefix(snapshotIndex);
                    }
                    else
                    {
                        _wal.ResetAfterSnapshot(snapshotIndex, entry.Term);
                    }
                }
                catch (Exception ex)
                {
                    Fail(ex);
                    throw;
                }

                lock (_stateLock)
                {
                    _snapshot = info;
                    if (keepTail)
                    {
                        _terms.DropBefore(_wal.FirstIndex);
                        CacheDropThrough(snapshotIndex);
                    }
                    else
                    {
                        _terms.Clear();
                        CacheTruncateFrom(0);
                        _lastIndex = snapshotIndex;
                    }

                    _commitIndex = Math.Max(_commitIndex, snapshotIndex);
                    Volatile.Write(ref _appliedIndex, snapshotIndex);
                    dropped = TakeContexts(static (_, _) => true, 0);
                }
            }
        }
        finally
        {
            _applyGate.Release();
        }

        Signal(ref _appliedSignal);
        Signal(ref _commitSignal);
        if (dropped.Count > 0)
        {
            _host.EntriesDropped(dropped, mayHaveApplied: true);
        }

        Log.SnapshotInstalled(_logger, snapshotIndex, entry.Term, info.BodyLengthBytes, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Runs <paramref name="action"/> while no entry is being applied (the node's state-machine maintenance).</summary>
    public async ValueTask RunExclusiveAsync(Action action, CancellationToken cancellationToken)
    {
        await _applyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            action();
        }
        finally
        {
            _applyGate.Release();
        }
    }

    /// <summary>Serializes snapshot writes (local ones and installs) in the snapshot store.</summary>
    public SemaphoreSlim SnapshotGate { get; } = new(1, 1);

    /// <summary>
    /// After a local snapshot: remembers it (followers that fall behind the log get it) and drops log segments
    /// through <paramref name="truncateThrough"/> (the previous snapshot, so a slightly lagging follower still gets entries).
    /// </summary>
    public void SnapshotTaken(SnapshotInfo info, long truncateThrough)
    {
        lock (_walLock)
        {
            lock (_stateLock)
            {
                if (_snapshot is null || info.Index > _snapshot.Index)
                {
                    _snapshot = info;
                }
            }

            if (truncateThrough > 0)
            {
                try
                {
                    _wal.TruncatePrefix(Math.Min(truncateThrough, info.Index));
                }
                catch (Exception ex)
                {
                    Fail(ex);
                    throw;
                }

                lock (_stateLock)
                {
                    _terms.DropBefore(_wal.FirstIndex);
                }
            }
        }
    }

    private static async ValueTask<byte[]> CopyPayloadAsync<TEntry>(TEntry entry, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        byte[] content;
        if (entry.TryGetMemory(out var memory))
        {
            content = memory.ToArray();
        }
        else if (entry.Length is 0)
        {
            content = [];
        }
        else
        {
            content = await entry.ToByteArrayAsync(null, token).ConfigureAwait(false);
        }

        return entry.IsConfiguration ? RaftEnvelope.Store(content, isConfiguration: true) : content;
    }

    // ---- Reads ----

    ValueTask<TResult> IAuditTrail<IRaftLogEntry>.ReadAsync<TResult>(ILogEntryConsumer<IRaftLogEntry, TResult> reader, long startIndex, long endIndex, CancellationToken token) =>
        ReadCoreAsync(reader, startIndex, endIndex, token);

    ValueTask<TResult> IAuditTrail.ReadAsync<TResult>(ILogEntryConsumer<ILogEntry, TResult> reader, long startIndex, long endIndex, CancellationToken token) =>
        ReadCoreAsync(reader, startIndex, endIndex, token);

    private async ValueTask<TResult> ReadCoreAsync<TResult>(ILogEntryConsumer<IRaftLogEntry, TResult> reader, long startIndex, long endIndex, CancellationToken token)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startIndex);
        if (endIndex < startIndex)
        {
            return await reader.ReadAsync<IRaftLogEntry, EntryList>(new EntryList([]), null, token).ConfigureAwait(false);
        }

        if (endIndex > LastIndex)
        {
            throw new ArgumentOutOfRangeException(nameof(endIndex), endIndex, $"The log ends at {LastIndex}.");
        }

        var (entries, snapshotIndex, opened) = Collect(startIndex, endIndex, reader.LogEntryMetadataOnly);
        if (entries.Length == 0 && snapshotIndex is not null)
        {
            // Opening verifies the whole file's checksum: done outside the log lock so appends are not held up.
            var snapshot = _snapshot ?? throw new InvalidOperationException("The snapshot is gone.");
            opened = new SnapshotLogEntry(snapshot, _snapshots.OpenRead(snapshot));
            entries = [opened];
            snapshotIndex = snapshot.Index;
        }

        try
        {
            return await reader.ReadAsync<IRaftLogEntry, EntryList>(new EntryList(entries), snapshotIndex, token).ConfigureAwait(false);
        }
        finally
        {
            opened?.Dispose();
        }
    }

    private (IRaftLogEntry[] Entries, long? SnapshotIndex, SnapshotLogEntry? Opened) Collect(long start, long end, bool metadataOnly)
    {
        if (start > 0 && TryCollectInMemory(start, end, metadataOnly) is { } fast)
        {
            return (fast, null, null);
        }

        lock (_walLock)
        {
            SnapshotInfo? snapshot;
            long firstHeld;
            lock (_stateLock)
            {
                snapshot = _snapshot;
                firstHeld = _wal.LastIndex >= _wal.FirstIndex ? _wal.FirstIndex : _lastIndex + 1;
            }

            if (start == 0 && snapshot is null)
            {
                // Index 0 is the virtual entry before the log, term 0.
                var rest = start < end ? CollectRange(1, end, metadataOnly) : [];
                return ([new TermOnlyEntry(0, false), .. rest], null, null);
            }

            if (start < firstHeld)
            {
                if (snapshot is null)
                {
                    throw new InvalidOperationException($"Entry {start} is neither in the log (from {firstHeld}) nor in a snapshot.");
                }

                // Behind the log: the follower gets the snapshot (one InstallSnapshot), then entries in later rounds.
                if (metadataOnly)
                {
                    return ([new TermOnlyEntry(snapshot.Term, true)], snapshot.Index, null);
                }

                return ([], snapshot.Index, null);
            }

            return (CollectRange(start, end, metadataOnly), null, null);
        }
    }

    /// <summary>
    /// The hot path of replication and apply: entries held in the tail cache (or terms held in the term index) are
    /// served under the state lock alone, so readers never wait for the writer's fdatasync under the log lock.
    /// Null when the range starts outside memory (then the log lock path reads disk or answers with the snapshot).
    /// </summary>
    private IRaftLogEntry[]? TryCollectInMemory(long start, long end, bool metadataOnly)
    {
        end = Math.Min(end, start + MaxEntriesPerRead - 1);
        lock (_stateLock)
        {
            if (end > _lastIndex)
            {
                return null;
            }

            if (metadataOnly)
            {
                if (start < _terms.FirstIndex || _terms.FirstIndex == 0)
                {
                    return null;
                }

                var terms = new IRaftLogEntry[end - start + 1];
                for (var i = start; i <= end; i++)
                {
                    terms[i - start] = new TermOnlyEntry(_terms.TermAt(i) ?? throw new InvalidOperationException($"No term for entry {i}."), false);
                }

                return terms;
            }

            if (_cache.Count == 0 || start < _cache[0].Index)
            {
                return null;
            }

            var result = new List<IRaftLogEntry>((int)(end - start + 1));
            long bytes = 0;
            for (var i = (int)(start - _cache[0].Index); i < _cache.Count && _cache[i].Index <= end && (bytes < MaxBytesPerRead || result.Count == 0); i++)
            {
                result.Add(_cache[i]);
                bytes += _cache[i].Stored.Length;
            }

            return result.Count == 0 ? null : [.. result];
        }
    }

    /// <summary>Entries start..end (capped), from the tail cache, else from disk. Caller holds the WAL lock.</summary>
    private IRaftLogEntry[] CollectRange(long start, long end, bool metadataOnly)
    {
        end = Math.Min(end, start + MaxEntriesPerRead - 1);
        var result = new List<IRaftLogEntry>((int)(end - start + 1));
        if (metadataOnly)
        {
            lock (_stateLock)
            {
                for (var i = start; i <= end; i++)
                {
                    result.Add(new TermOnlyEntry(TermAtLocked(i) ?? throw new InvalidOperationException($"No term for entry {i}."), false));
                }
            }

            return [.. result];
        }

        long bytes = 0;
        var next = start;
        lock (_stateLock)
        {
            var cacheFirst = _cache.Count == 0 ? long.MaxValue : _cache[0].Index;
            if (start >= cacheFirst)
            {
                for (var i = (int)(start - cacheFirst); i < _cache.Count && next <= end && (bytes < MaxBytesPerRead || result.Count == 0); i++)
                {
                    var e = _cache[i];
                    result.Add(e);
                    bytes += e.Stored.Length;
                    next++;
                }

                return [.. result];
            }
        }

        foreach (var record in _wal.Read(start, end))
        {
            if (bytes >= MaxBytesPerRead && result.Count > 0)
            {
                break;
            }

            result.Add(StoredLogEntry.From(record));
            bytes += record.Payload.Length;
        }

        return [.. result];
    }

    // ---- Writer task (leader appends, group commit) ----

    private async Task RunWriterAsync()
    {
        var reader = _appends.Reader;
        var batch = new List<PendingAppend>();
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                batch.Clear();
                long bytes = 0;
                while (batch.Count < 4096 && bytes < (8L << 20) && reader.TryRead(out var pending))
                {
                    batch.Add(pending);
                    bytes += pending.Stored.Length;
                }

                try
                {
                    WriteBatch(batch);
                }
                catch (Exception ex)
                {
                    // A broken invariant: fail loudly (the watchdog reopens the log) instead of leaving appends hanging.
                    Fail(ex);
                    foreach (var p in batch)
                    {
                        p.Completion.TrySetException(ex);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        var closed = new InvalidOperationException("The log is closed.");
        while (reader.TryRead(out var left))
        {
            left.Completion.TrySetException(closed);
        }
    }

    private void WriteBatch(List<PendingAppend> batch)
    {
        var accepted = new List<(PendingAppend Pending, long Index)>(batch.Count);
        lock (_walLock)
        {
            if (_failure is { } failure)
            {
                foreach (var p in batch)
                {
                    p.Completion.TrySetException(new InvalidOperationException($"The Raft log failed: {failure.Message}", failure));
                }

                return;
            }

            long lastTerm;
            long next;
            lock (_stateLock)
            {
                lastTerm = TermAtLocked(_lastIndex) ?? 0;
                next = _lastIndex + 1;
            }

            var records = new List<LogRecord>(batch.Count);
            foreach (var p in batch)
            {
                if (p.Term < lastTerm)
                {
                    // A deposed leader's late append: the log already holds a newer term. (The node stamps its entries
                    // with the term it was elected in, never the stored current term: see StatehouseNode.ReplicateAsync.)
                    p.Completion.TrySetException(new NotLeaderException());
                    continue;
                }

                lastTerm = p.Term;
                records.Add(new LogRecord(next, p.Term, p.Stored));
                accepted.Add((p, next));
                next++;
            }

            if (records.Count == 0)
            {
                return;
            }

            try
            {
                _wal.Append(records);
            }
            catch (ArgumentException ex)
            {
                // Refused before any I/O (e.g. a record over the size limit): those appends fail, the log goes on.
                foreach (var (p, _) in accepted)
                {
                    p.Completion.TrySetException(ex);
                }

                return;
            }
            catch (Exception ex)
            {
                Fail(ex);
                foreach (var (p, _) in accepted)
                {
                    p.Completion.TrySetException(ex);
                }

                return;
            }

            lock (_stateLock)
            {
                foreach (var (p, index) in accepted)
                {
                    _terms.Add(index, p.Term);
                    CacheAdd(new StoredLogEntry(index, p.Term, p.Stored));
                    if (p.Context is not null)
                    {
                        _contexts[index] = p.Context;
                    }
                }

                _lastIndex = records[^1].Index;
            }
        }

        foreach (var (p, index) in accepted)
        {
            p.Completion.TrySetResult(index);
        }
    }

    // ---- Apply task ----

    private async Task RunApplierAsync()
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                var signal = Volatile.Read(ref _commitSignal).Task;
                if (CommitIndex <= AppliedIndex)
                {
                    await signal.WaitAsync(_stopping.Token).ConfigureAwait(false);
                    continue;
                }

                await _applyGate.WaitAsync(_stopping.Token).ConfigureAwait(false);
                try
                {
                    await ApplyRoundAsync().ConfigureAwait(false);
                }
                finally
                {
                    _applyGate.Release();
                }

                Signal(ref _appliedSignal);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    private async Task ApplyRoundAsync()
    {
        var from = AppliedIndex + 1;
        var to = Math.Min(CommitIndex, from + MaxEntriesPerApplyRound - 1);
        if (from > to)
        {
            return;
        }

        StoredLogEntry[] entries;
        if (TryCollectInMemory(from, to, metadataOnly: false) is { } cached)
        {
            entries = cached.Cast<StoredLogEntry>().ToArray();
        }
        else
        {
            lock (_walLock)
            {
                entries = CollectRange(from, to, metadataOnly: false).Cast<StoredLogEntry>().ToArray();
            }
        }

        foreach (var entry in entries)
        {
            Invariant.Assert(entry.Index == AppliedIndex + 1, "entries are applied in order");
            object? context;
            lock (_stateLock)
            {
                _contexts.Remove(entry.Index, out context);
            }

            if (entry.IsConfiguration)
            {
                if (ConfigurationStorage is { } storage)
                {
                    await storage.SaveConfigurationAsync(new ConfigurationPayload(RaftEnvelope.Content(entry.Stored)), entry.Index, CancellationToken.None).ConfigureAwait(false);
                }

                _host.ApplyEntry(entry.Index, ReadOnlyMemory<byte>.Empty, context);
            }
            else
            {
                _host.ApplyEntry(entry.Index, entry.Stored, context);
            }

            Volatile.Write(ref _appliedIndex, entry.Index);
        }

        lock (_stateLock)
        {
            CacheEvict();
            if (AppliedIndex >= _announcedCommit && _announcedTimestamp > Volatile.Read(ref _freshTimestamp))
            {
                Volatile.Write(ref _freshTimestamp, _announcedTimestamp);
            }
        }
    }

    // ---- Tail cache (recent entries in memory: replication and apply read them without I/O) ----

    private void CacheAdd(StoredLogEntry entry)
    {
        Invariant.Assert(_cache.Count == 0 || entry.Index == _cache[^1].Index + 1, "the cache is contiguous");
        _cache.Add(entry);
        _cacheBytes += entry.Stored.Length + 64;
    }

    private void CacheTruncateFrom(long from)
    {
        while (_cache.Count > 0 && _cache[^1].Index >= from)
        {
            _cacheBytes -= _cache[^1].Stored.Length + 64;
            _cache.RemoveAt(_cache.Count - 1);
        }
    }

    private void CacheDropThrough(long index)
    {
        var n = 0;
        while (n < _cache.Count && _cache[n].Index <= index)
        {
            _cacheBytes -= _cache[n].Stored.Length + 64;
            n++;
        }

        _cache.RemoveRange(0, n);
    }

    /// <summary>Drops the oldest applied entries beyond the byte budget (lagging followers then read from disk).</summary>
    private void CacheEvict()
    {
        if (_cacheBytes <= _cacheBudgetBytes)
        {
            return;
        }

        var n = 0;
        var applied = AppliedIndex;
        while (n < _cache.Count && _cacheBytes > _cacheBudgetBytes / 2 && _cache[n].Index <= applied)
        {
            _cacheBytes -= _cache[n].Stored.Length + 64;
            n++;
        }

        _cache.RemoveRange(0, n);
    }

    // ---- Helpers ----

    private List<object> TakeContexts(Func<long, long, bool> match, long arg)
    {
        var taken = new List<object>();
        foreach (var index in _contexts.Keys.Where(i => match(i, arg)).ToList())
        {
            _contexts.Remove(index, out var context);
            taken.Add(context!);
        }

        return taken;
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw new InvalidOperationException($"The Raft log failed: {failure.Message}", failure);
        }
    }

    private void Fail(Exception failure)
    {
        if (_failure is not null)
        {
            return;
        }

        _failure = failure;
        Log.RaftLogFailed(_logger, failure);
        Signal(ref _appliedSignal);
        _host.Failed(failure);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static void Signal(ref TaskCompletionSource signal) => Interlocked.Exchange(ref signal, NewSignal()).TrySetResult();

    /// <summary>Stops the tasks and closes the log files (not the base shell's; see <see cref="Dispose(bool)"/>).</summary>
    public async Task StopAsync()
    {
        _appends.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _writer.ConfigureAwait(false);
            await _applier.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        // An apply round in progress finishes under the gate; wait for it before closing the files.
        await _applyGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            lock (_walLock)
            {
                _wal.Dispose();
            }
        }
        finally
        {
            _applyGate.Release();
        }

        Signal(ref _appliedSignal);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stopping.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed class PendingAppend(long term, byte[] stored, object? context)
    {
        public long Term { get; } = term;

        public byte[] Stored { get; } = stored;

        public object? Context { get; } = context;

        public TaskCompletionSource<long> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
