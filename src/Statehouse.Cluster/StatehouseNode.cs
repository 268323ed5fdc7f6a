using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Statehouse.Core;
using Statehouse.Core.Codecs;
using Statehouse.Core.Model;
using Statehouse.Core.Store;
using Statehouse.Storage;

namespace Statehouse.Cluster;

/// <summary>
/// One Statehouse node: a single-member replica group. Client commands are queued, batched into log entries,
/// made durable with one fdatasync per entry, applied by the deterministic <see cref="StateMachine"/>, and answered.
/// </summary>
/// <remarks>
/// The pipeline is the one a Raft leader runs (propose → append → commit → apply → answer, request ids for retries);
/// with one member, commit is the local fsync. One thread (the apply loop) owns the log and the state machine;
/// readers use immutable <see cref="StoreView"/>s from any thread.
/// </remarks>
public sealed partial class StatehouseNode : IAsyncDisposable
{
    /// <summary>The term a single-member group writes its entries with.</summary>
    public const long SingleMemberTerm = 1;

    private readonly NodeOptions _options;
    private readonly ILogger _logger;
    private readonly StateMachine _machine;
    private WriteAheadLog _log;
    private readonly SnapshotStore _snapshots;
    private readonly Channel<Proposal> _proposals;
    private readonly CancellationTokenSource _stopping = new();
    private readonly LeaseClock _leaseClock = new();
    private readonly long _startedTimestamp = Stopwatch.GetTimestamp();
    private readonly NodeMetrics _metrics;
    private Task _loop = Task.CompletedTask;
    private Task _maintenance = Task.CompletedTask;
    private TaskCompletionSource _applied = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Exception? _fatal;
    private long _entriesSinceSnapshot;
    private long _bytesSinceSnapshot;
    private long _commandsSinceSnapshot;
    private int _snapshotRunning;
    private long _lastSnapshotIndex;

    private StatehouseNode(NodeOptions options, ILogger logger, StateMachine machine, WriteAheadLog log, SnapshotStore snapshots)
    {
        _options = options;
        _logger = logger;
        _machine = machine;
        _log = log;
        _snapshots = snapshots;
        _proposals = Channel.CreateBounded<Proposal>(new BoundedChannelOptions(options.ProposalQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _metrics = new NodeMetrics(this);
    }

    /// <summary>This node's id.</summary>
    public string NodeId => _options.NodeId;

    /// <summary>The options the node runs with.</summary>
    public NodeOptions Options => _options;

    /// <summary>The latest applied state. Every write acknowledged so far is in it (the linearizable read view on a single member).</summary>
    public StoreView View => _machine.View;

    /// <summary>The change history watchers read.</summary>
    public EventHistory History => _machine.History;

    /// <summary>Time since the node started.</summary>
    public TimeSpan Uptime => Stopwatch.GetElapsedTime(_startedTimestamp);

    /// <summary>Last log index durable on this node.</summary>
    public long LastLogIndex => _raftLog?.LastIndex ?? _log.LastIndex;

    /// <summary>Bytes held by the log.</summary>
    public long LogBytes => _raftLog?.SizeBytes ?? _log.SizeBytes;

    /// <summary>Index of the newest snapshot on disk.</summary>
    public long SnapshotIndex => Interlocked.Read(ref _lastSnapshotIndex);

    /// <summary>Set when the node hit a failure it cannot continue from (e.g. a failed fsync); it then refuses writes.</summary>
    public Exception? Fatal => _fatal;

    /// <summary>Opens the data directory, recovers snapshot + log, and starts the apply loop.</summary>
    public static async Task<StatehouseNode> StartAsync(NodeOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var logger = (ILogger?)loggerFactory?.CreateLogger<StatehouseNode>() ?? NullLogger.Instance;
        Directory.CreateDirectory(options.DataDirectory);
        var started = Stopwatch.GetTimestamp();

        var machine = new StateMachine(options.Limits);
        var snapshots = SnapshotStore.Open(new SnapshotStoreOptions
        {
            DataDirectory = options.DataDirectory,
            KeepCount = options.SnapshotsKept,
        }, loggerFactory?.CreateLogger<SnapshotStore>());
        long snapshotIndex = 0;
        long replayed;
        double snapshotLoadedMs;
        WriteAheadLog? log = null;
        try
        {
            if (snapshots.Latest is { } latest)
            {
                await using var body = snapshots.OpenRead(latest);
                machine.Restore(body);
                snapshotIndex = latest.Index;
                Invariant.Assert(machine.View.AppliedIndex == snapshotIndex);
            }

            snapshotLoadedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

            log = WriteAheadLog.Open(WalOptionsFor(options, options.AcceptWalLoss, snapshotIndex), loggerFactory?.CreateLogger<WriteAheadLog>());

            if (options.Raft is not null)
            {
                // Clustered: the log holds entries that may not be committed; they are applied once a leader says so.
                return await StartRaftAsync(options, loggerFactory, logger, machine, snapshots, log, snapshotIndex, cancellationToken).ConfigureAwait(false);
            }

            replayed = Replay(machine, log, snapshotIndex, snapshots, options, logger);
        }
        catch
        {
            // The directory lock and files go with the failed start.
            log?.Dispose();
            throw;
        }

        var node = new StatehouseNode(options, logger, machine, log, snapshots) { _lastSnapshotIndex = snapshotIndex };
        node._leaseClock.Reset(machine.View.Leases.Values.Select(l => (l.Id, l.TtlSeconds)), node.NowMs());
        node._loop = Task.Factory.StartNew(node.RunLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        node._maintenance = Task.Run(node.RunMaintenanceAsync, CancellationToken.None);
        Log.NodeStarted(logger, options.NodeId, snapshotIndex, snapshotLoadedMs, replayed, machine.View.Revision, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (cancellationToken.IsCancellationRequested)
        {
            await node.DisposeAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        return node;
    }

    /// <summary>
    /// The log's options for this node; <paramref name="acceptLoss"/> only at an operator-requested start;
    /// <paramref name="snapshotIndex"/> is the newest verified snapshot, which covers the log's records up to it.
    /// </summary>
    internal static WalOptions WalOptionsFor(NodeOptions options, bool acceptLoss, long snapshotIndex) => new()
    {
        CoveredThroughIndex = snapshotIndex,
        Directory = Path.Combine(options.DataDirectory, "wal"),
        SegmentSizeBytes = options.SegmentSizeBytes,
        SyncMode = options.SyncWrites ? WalSyncMode.FDataSync : WalSyncMode.None,
        AcceptDataLoss = acceptLoss,
    };

    private static long Replay(StateMachine machine, WriteAheadLog log, long snapshotIndex, SnapshotStore snapshots, NodeOptions options, ILogger logger)
    {
        if (log.LastIndex == snapshotIndex)
        {
            // Everything in the log is already in the snapshot; new entries continue after it.
            return 0;
        }

        var walDirectory = Path.Combine(options.DataDirectory, "wal");
        if (log.LastIndex < snapshotIndex)
        {
            // The log is only ever truncated up to the previous snapshot, so it always reaches the newest one: lost log files.
            if (!options.AcceptWalLoss)
            {
                throw new WalDataLossException(walDirectory,
                    $"the log ends at index {log.LastIndex}, before the newest snapshot's index {snapshotIndex} ({snapshots.Latest?.Path}): log segments are missing.",
                    snapshotIndex + 1, snapshotIndex, log.FirstIndex, log.LastIndex, [walDirectory, snapshots.Latest?.Path ?? snapshots.DirectoryPath]);
            }

            // Accepted: the snapshot is the newest state there is; the log continues after it.
            Log.WalLossAccepted(logger, $"the log ends at {log.LastIndex}, before snapshot {snapshotIndex}; starting from the snapshot");
            log.ResetAfterSnapshot(snapshotIndex, SingleMemberTerm);
            return 0;
        }

        if (log.FirstIndex > snapshotIndex + 1)
        {
            // The snapshot that covered the records before the log's start is gone or failed verification.
            var rejected = snapshots.Rejected.Select(r => r.Path).ToList();
            var what = rejected.Count > 0
                ? $"the snapshots {string.Join(", ", rejected)} failed verification (set aside as *.corrupt)"
                : "the snapshot that covered them is missing";
            throw new WalDataLossException(walDirectory,
                $"the log starts at index {log.FirstIndex} but the newest valid snapshot covers only up to index {snapshotIndex}, so records {snapshotIndex + 1}..{log.FirstIndex - 1} are in no file: {what} (in {snapshots.DirectoryPath}).",
                snapshotIndex + 1, log.LastIndex, log.FirstIndex, log.LastIndex, [.. rejected, snapshots.DirectoryPath, walDirectory]);
        }

        // Trimming compacted history is deferred while replaying (it changes no answer); the apply loop catches up
        // in small steps once the node serves, so a restart is not slowed by it.
        long replayed = 0;
        machine.PhysicalCompactionEnabled = false;
        foreach (var record in log.Read(snapshotIndex + 1))
        {
            ApplyRecord(machine, record);
            replayed++;
        }

        machine.PhysicalCompactionEnabled = true;

        Invariant.Assert(machine.View.AppliedIndex == log.LastIndex);
        return replayed;
    }

    private static IReadOnlyList<CommandResult> ApplyRecord(StateMachine machine, LogRecord record)
    {
        if (record.Payload.Length == 0)
        {
            machine.AdvanceAppliedIndex(record.Index);
            return [];
        }

        var batch = CommandCodec.Decode(record.Payload.Span);
        return machine.Apply(batch, record.Index);
    }

    private long NowMs() => _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Proposes a command: returns once it is durable and applied, with its result. An expected failure comes back as
    /// an <see cref="ErrorResult"/>; a node that cannot take writes throws <see cref="StatehouseException"/> (Unavailable).
    /// </summary>
    /// <remarks>Cancelling abandons the wait, not the command: it may still apply. Retry with the same request id.</remarks>
    public ValueTask<CommandResult> ProposeAsync(Command command, CancellationToken cancellationToken = default)
    {
        var completion = Propose(command);
        return cancellationToken.CanBeCanceled
            ? new ValueTask<CommandResult>(completion.WaitAsync(cancellationToken))
            : new ValueTask<CommandResult>(completion);
    }

    /// <summary>Queues a command and returns the task that completes when it is applied (see <see cref="ProposeAsync"/>).</summary>
    public Task<CommandResult> Propose(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (_fatal is { } fatal)
        {
            throw new StatehouseException(ErrorCode.Unavailable, $"The node stopped taking writes after a storage failure: {fatal.Message}");
        }

        var proposal = new Proposal(command, null);
        if (!_proposals.Writer.TryWrite(proposal))
        {
            return _stopping.IsCancellationRequested
                ? throw new StatehouseException(ErrorCode.Unavailable, "The node is stopping.")
                : throw new StatehouseException(ErrorCode.Unavailable, $"The write queue is full ({_options.ProposalQueueCapacity} proposals); retry with backoff.");
        }

        return proposal.Completion.Task;
    }

    /// <summary>Waits until the applied revision reaches <paramref name="revision"/>.</summary>
    public async ValueTask WaitForRevisionAsync(long revision, CancellationToken cancellationToken)
    {
        while (_machine.View.Revision < revision)
        {
            var signal = Volatile.Read(ref _applied).Task;
            if (_machine.View.Revision >= revision)
            {
                return;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the loop after the queued proposals are done and closes the log.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _proposals.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
            await _maintenance.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        if (_raftLog is not null)
        {
            // Stops Raft traffic, then the log's tasks, and closes the log files.
            SpinWait.SpinUntil(() => Volatile.Read(ref _snapshotRunning) == 0, TimeSpan.FromSeconds(30));
            await StopRaftAsync().ConfigureAwait(false);
            _metrics.Dispose();
            _stopping.Dispose();
            return;
        }

        // A snapshot may still be writing; let it finish so no temporary file is left behind needlessly.
        SpinWait.SpinUntil(() => Volatile.Read(ref _snapshotRunning) == 0, TimeSpan.FromSeconds(30));
        _log.Dispose();
        _metrics.Dispose();
        _stopping.Dispose();
    }

    /// <summary>A command waiting for the apply loop, or a maintenance action to run on it.</summary>
    private sealed class Proposal(Command? command, Action? action)
    {
        public Command? Command { get; } = command;

        public Action? Action { get; } = action;

        public TaskCompletionSource<CommandResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
