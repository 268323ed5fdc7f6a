using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Statehouse.Raft;

namespace Statehouse.Replication;

/// <summary>How a <see cref="HostRuntime"/> runs its host; every limit is explicit.</summary>
public sealed record HostRuntimeOptions
{
    /// <summary>The host's options.</summary>
    public HostOptions Host { get; init; } = new();

    /// <summary>Real time between two ticks of every group's core (elections take <c>ElectionTicks</c> of them).</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Inputs from outside (messages, proposals, reads) waiting for the loop; beyond, messages are dropped and
    /// proposals refused as busy.</summary>
    public int MaxQueuedInputs { get; init; } = 65_536;

    /// <summary>Inputs the loop takes before it runs a round (a batch of inputs per round is what makes group commit).</summary>
    public int MaxInputsPerRound { get; init; } = 4_096;

    /// <summary>Checks the options and throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Host);
        Host.Validate();
        if (TickInterval < TimeSpan.FromMilliseconds(1) || TickInterval > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentException($"TickInterval must be 1 ms to 10 s (got {TickInterval}).", nameof(TickInterval));
        }

        if (MaxQueuedInputs < 1 || MaxInputsPerRound < 1)
        {
            throw new ArgumentException($"MaxQueuedInputs and MaxInputsPerRound must be ≥ 1 (got {MaxQueuedInputs}, {MaxInputsPerRound}).", nameof(MaxQueuedInputs));
        }
    }
}

/// <summary>
/// The production runtime of a <see cref="ReplicaHost"/> (docs/internals/host.md §2): one loop thread owns the host
/// (inputs, ticks, rounds, completions), one writer thread makes batches durable, one snapshot thread writes
/// snapshots. Every public member is thread-safe; results come back as tasks completed on the loop thread (their
/// continuations run elsewhere).
/// </summary>
public sealed class HostRuntime : IAsyncDisposable
{
    private readonly HostRuntimeOptions _options;
    private readonly FileReplicaStore _store;
    private readonly ILogger _logger;
    private readonly ReplicaHost _host;
    private readonly ConcurrentQueue<Action> _internal = new();
    private readonly ConcurrentQueue<GroupWork> _external = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _writerWake = new(0);
    private readonly SemaphoreSlim _snapshotWake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _loop;
    private readonly Thread _writer;
    private readonly Thread _snapshots;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _externalCount;
    private int _started;
    private int _disposed;
    private int _closed;
    private int _threadsStarted;

    /// <summary>Creates the runtime over an opened store; <see cref="Start"/> opens the host and starts the threads.</summary>
    public HostRuntime(HostRuntimeOptions options, FileReplicaStore store, IPeerTransport transport, Func<GroupDescriptor, IGroupStateMachine> machines, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(transport);
        options.Validate();
        _options = options;
        _store = store;
        _logger = logger ?? NullLogger.Instance;

        // The cores' randomness is for election timeouts only: seeding it from the clock is what a real node wants.
        _host = new ReplicaHost(options.Host, new Seam(this), transport, machines, new Random());
        _loop = new Thread(RunLoop) { Name = "statehouse-host", IsBackground = true };
        _writer = new Thread(RunWriter) { Name = "statehouse-host-writer", IsBackground = true };
        _snapshots = new Thread(RunSnapshots) { Name = "statehouse-host-snapshots", IsBackground = true };
    }

    /// <summary>Completes when the runtime stopped (disposed, or a store failure stopped the host).</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>The failure that stopped the host, if any.</summary>
    public Exception? Failure => _host.Failure;

    /// <summary>Opens the host (every group of the store) and starts the loop, the writer and the snapshot thread.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The runtime is started once.");
        }

        _host.Open();
        _loop.Start();
        _writer.Start();
        _snapshots.Start();
        Volatile.Write(ref _threadsStarted, 1);
    }

    /// <summary>Messages that arrived from other nodes (dropped when the queue is full: Raft resends).</summary>
    public void Deliver(IReadOnlyList<Message> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        Enqueue(new GroupWork(host =>
        {
            foreach (var message in messages)
            {
                host.Step(message);
            }
        }, null));
    }

    /// <summary>Proposes a command; completes with where it went (or Busy when the runtime's queue is full).</summary>
    public Task<ProposeResult> ProposeAsync(GroupId group, ReadOnlyMemory<byte> command)
    {
        var done = new TaskCompletionSource<ProposeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(new GroupWork(host =>
        {
            if (!host.Hosts(group))
            {
                done.TrySetException(new ArgumentException($"Group {group} is not hosted on this node.", nameof(group)));
                return;
            }

            host.Propose(group, command, result => done.TrySetResult(result));
        }, () => done.TrySetResult(new ProposeResult(ProposeStatus.Busy, LogIndex.Zero, Term.Zero, NodeId.None, "the node's input queue is full"))));
        return done.Task;
    }

    /// <summary>Runs <paramref name="work"/> on the loop thread with the host (status, reads, membership); it must be short.</summary>
    public Task<T> InvokeAsync<T>(Func<ReplicaHost, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Volatile.Read(ref _closed) != 0)
        {
            done.TrySetException(new ObjectDisposedException(nameof(HostRuntime), "The replica host has stopped."));
            return done.Task;
        }

        Post(() =>
        {
            try
            {
                done.TrySetResult(work(_host));
            }
#pragma warning disable CA1031 // The caller gets the exception through its task.
            catch (Exception e)
#pragma warning restore CA1031
            {
                done.TrySetException(e);
            }
        });
        return done.Task;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _wake.Release();
        _writerWake.Release();
        _snapshotWake.Release();
        if (Volatile.Read(ref _threadsStarted) != 0)
        {
            await Task.Run(() =>
            {
                _loop.Join();
                _writer.Join();
                _snapshots.Join();
            }).ConfigureAwait(false);
        }

        // The semaphores stay alive: a caller racing the disposal may still signal one (its work is then dropped).
        _stopped.TrySetResult();
    }

    private bool Enqueue(GroupWork work)
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            work.Refuse?.Invoke();
            return false;
        }

        if (Interlocked.Increment(ref _externalCount) > _options.MaxQueuedInputs)
        {
            Interlocked.Decrement(ref _externalCount);
            work.Refuse?.Invoke();
            return false;
        }

        _external.Enqueue(work);
        _wake.Release();
        if (Volatile.Read(ref _closed) != 0)
        {
            // The loop may have drained before this landed.
            DrainAfterClose();
        }

        return true;
    }

    private void Post(Action action)
    {
        _internal.Enqueue(action);
        _wake.Release();
        if (Volatile.Read(ref _closed) != 0)
        {
            // The loop may have drained before this landed.
            DrainAfterClose();
        }
    }

    private void DrainAfterClose()
    {
        while (_external.TryDequeue(out var work))
        {
            work.Refuse?.Invoke();
        }

        while (_internal.TryDequeue(out var action))
        {
            try
            {
                action();
            }
#pragma warning disable CA1031 // A completion for a stopped host fails; a caller's InvokeAsync gets its exception itself.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    private void RunLoop()
    {
        var clock = Stopwatch.StartNew();
        var nextTick = _options.TickInterval;
        try
        {
            while (!_stop.IsCancellationRequested && _host.Failure is null)
            {
                var wait = nextTick - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    _wake.Wait(wait);
                }

                while (_internal.TryDequeue(out var action))
                {
                    action();
                }

                for (var taken = 0; taken < _options.MaxInputsPerRound && _external.TryDequeue(out var work); taken++)
                {
                    Interlocked.Decrement(ref _externalCount);
                    try
                    {
                        work.Run(_host);
                    }
                    catch (InvalidOperationException) when (_host.Failure is not null)
                    {
                        // The host stopped earlier in this iteration: the caller hears it is refused.
                        work.Refuse?.Invoke();
                    }
                }

                if (clock.Elapsed >= nextTick)
                {
                    _host.Tick();

                    // Ticks missed while the loop was busy are not replayed in a burst: time only moves forward.
                    nextTick = clock.Elapsed + _options.TickInterval;
                }

                _host.Pump();
            }
        }
#pragma warning disable CA1031 // A failure of the host stops the node; it is logged once and reported through Stopped.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _host.OnStoreFailed(e);
            Log.HostStopped(_logger, e);
        }
        finally
        {
            // Nothing runs on the host any more: what is queued is refused or answered now, later calls at once.
            Volatile.Write(ref _closed, 1);
            _host.Close();
            DrainAfterClose();
            _stopped.TrySetResult();
        }
    }

    private void RunWriter()
    {
        while (true)
        {
            _writerWake.Wait();
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            try
            {
                if (_store.MakeNextDurable())
                {
                    Post(() => _store.Report(_host));
                }
            }
#pragma warning disable CA1031 // Reported to the host, which stops: nothing of the batch was acknowledged.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Post(() => _host.OnStoreFailed(e));
                return;
            }
        }
    }

    private void RunSnapshots()
    {
        while (true)
        {
            _snapshotWake.Wait();
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            try
            {
                if (_store.SaveNextSnapshot() is { Snapshot: { } snapshot } saved)
                {
                    Post(() => _host.OnSnapshotSaved(saved.Request, snapshot));
                }
            }
#pragma warning disable CA1031 // A snapshot that cannot be written stops the host: the log would grow without bound.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Post(() => _host.OnStoreFailed(e));
                return;
            }
        }
    }

    private sealed record GroupWork(Action<ReplicaHost> Run, Action? Refuse);

    /// <summary>The store as the host sees it: writes go to the writer and snapshot threads.</summary>
    private sealed class Seam(HostRuntime runtime) : IReplicaStore
    {
        public Statehouse.Storage.Groups.GroupLogState Log => runtime._store.Log;

        public IReadOnlyList<GroupDescriptor> Groups => runtime._store.Groups;

        public IGroupSnapshots Snapshots(GroupId group) => runtime._store.Snapshots(group);

        public void Persist(PersistBatch batch)
        {
            runtime._store.Persist(batch);
            runtime._writerWake.Release();
        }

        public void Publish(PersistBatch batch) => runtime._store.Publish(batch);

        public void SaveSnapshot(SnapshotRequest request)
        {
            runtime._store.SaveSnapshot(request);
            runtime._snapshotWake.Release();
        }
    }
}
