using Statehouse.Cluster.Raft;
using Statehouse.Core.Store;
using Statehouse.Storage;

namespace Statehouse.Cluster.Tests.Raft;

/// <summary>
/// A fake node for <see cref="StatehouseRaftLog"/>: records what the log's apply task hands it (entries, snapshot
/// restores, dropped proposals, failures). Snapshot restores are decoded into a real <see cref="StateMachine"/> so a
/// test can check that the installed body arrived whole.
/// </summary>
/// <remarks>Called from the log's apply task; read from the test thread. Every access takes the lock.</remarks>
internal sealed class RecordingStateHost : IRaftStateHost
{
    private readonly Lock _gate = new();
    private readonly List<AppliedEntry> _applied = [];
    private readonly List<(SnapshotInfo Info, StoreView State)> _restored = [];
    private readonly List<(IReadOnlyList<object> Contexts, bool MayHaveApplied)> _dropped = [];
    private readonly List<Exception> _failures = [];

    /// <summary>Where restored snapshots are read from (the store the log was opened with).</summary>
    public required SnapshotStore Snapshots { get; init; }

    public IReadOnlyList<AppliedEntry> Applied
    {
        get
        {
            lock (_gate)
            {
                return [.. _applied];
            }
        }
    }

    public IReadOnlyList<long> AppliedIndexes => [.. Applied.Select(a => a.Index)];

    public IReadOnlyList<(SnapshotInfo Info, StoreView State)> Restored
    {
        get
        {
            lock (_gate)
            {
                return [.. _restored];
            }
        }
    }

    public IReadOnlyList<(IReadOnlyList<object> Contexts, bool MayHaveApplied)> Dropped
    {
        get
        {
            lock (_gate)
            {
                return [.. _dropped];
            }
        }
    }

    public IReadOnlyList<Exception> Failures
    {
        get
        {
            lock (_gate)
            {
                return [.. _failures];
            }
        }
    }

    public void ApplyEntry(long index, ReadOnlyMemory<byte> commandBatch, object? context)
    {
        lock (_gate)
        {
            _applied.Add(new AppliedEntry(index, commandBatch.ToArray(), context));
        }
    }

    public void RestoreSnapshot(SnapshotInfo snapshot)
    {
        var machine = new StateMachine();
        using (var body = Snapshots.OpenRead(snapshot))
        {
            machine.Restore(body);
        }

        lock (_gate)
        {
            _restored.Add((snapshot, machine.View));
        }
    }

    public void EntriesDropped(IReadOnlyList<object> contexts, bool mayHaveApplied)
    {
        lock (_gate)
        {
            _dropped.Add(([.. contexts], mayHaveApplied));
        }
    }

    public void Failed(Exception failure)
    {
        lock (_gate)
        {
            _failures.Add(failure);
        }
    }
}

/// <summary>One committed entry as the log applied it.</summary>
internal sealed record AppliedEntry(long Index, byte[] Payload, object? Context);
