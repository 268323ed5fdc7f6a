using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.Extensions.Logging.Abstractions;
using Statehouse.Cluster.Raft;
using Statehouse.Storage;
using StorageWal = Statehouse.Storage.WriteAheadLog;

namespace Statehouse.Cluster.Tests.Raft;

/// <summary>
/// A <see cref="StatehouseRaftLog"/> over a real <see cref="StorageWal"/>, <see cref="RaftMetadataStore"/> and
/// <see cref="SnapshotStore"/> in a temp folder, opened as <c>StatehouseNode.StartAsync</c> /
/// <c>StartRaftGroupAsync</c> open them. <see cref="ReopenAsync"/> stops it and opens a new instance over the same
/// folder, as a restart does (the state handed in is the newest snapshot's, so nothing beyond it is applied).
/// </summary>
internal sealed class RaftLogHarness : IAsyncDisposable
{
    private readonly long _segmentSizeBytes;
    private readonly long _cacheBudgetBytes;
    private StatehouseRaftLog? _log;

    private RaftLogHarness(string directory, long segmentSizeBytes, long cacheBudgetBytes)
    {
        Directory = directory;
        _segmentSizeBytes = segmentSizeBytes;
        _cacheBudgetBytes = cacheBudgetBytes;
    }

    public string Directory { get; }

    public StatehouseRaftLog Log => _log ?? throw new InvalidOperationException("The log is closed.");

    /// <summary>The log as RaftCluster sees it.</summary>
    public IPersistentState State => Log;

    /// <summary>The typed audit trail (appends and reads of <see cref="IRaftLogEntry"/>).</summary>
    public IAuditTrail<IRaftLogEntry> Trail => Log;

    /// <summary>The untyped audit trail (indexes, commit, apply waits).</summary>
    public IAuditTrail Audit => Log;

    public RecordingStateHost Host { get; private set; } = null!;

    public SnapshotStore Snapshots { get; private set; } = null!;

    /// <param name="segmentSizeBytes">WAL segment size; small values make prefix truncation drop segments.</param>
    /// <param name="cacheBudgetBytes">Tail cache budget; 0 makes reads of applied entries go to disk.</param>
    public static async Task<RaftLogHarness> OpenAsync(long segmentSizeBytes = 1 << 20, long cacheBudgetBytes = 64 << 20)
    {
        var directory = Path.Combine(Path.GetTempPath(), "statehouse-raftlog-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var harness = new RaftLogHarness(directory, segmentSizeBytes, cacheBudgetBytes);
        await harness.OpenCoreAsync();
        return harness;
    }

    public async Task ReopenAsync()
    {
        await CloseAsync();
        await OpenCoreAsync();
    }

    private async Task OpenCoreAsync()
    {
        Snapshots = SnapshotStore.Open(new SnapshotStoreOptions { DataDirectory = Directory });
        var wal = StorageWal.Open(new WalOptions
        {
            Directory = Path.Combine(Directory, "wal"),
            SegmentSizeBytes = _segmentSizeBytes,
            SyncMode = WalSyncMode.FDataSync,
        });
        try
        {
            var meta = new RaftMetadataStore(Directory);
            Host = new RecordingStateHost { Snapshots = Snapshots };

            // As at start-up: the state machine holds the newest snapshot and nothing else.
            var appliedIndex = Snapshots.Latest?.Index ?? 0;
            _log = StatehouseRaftLog.Open(Directory, wal, meta, Snapshots, appliedIndex, Host, _cacheBudgetBytes, NullLogger.Instance);
        }
        catch
        {
            wal.Dispose();
            throw;
        }

        await Audit.InitializeAsync();
    }

    public async Task CloseAsync()
    {
        if (_log is { } log)
        {
            _log = null;
            await log.StopAsync();
            log.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
