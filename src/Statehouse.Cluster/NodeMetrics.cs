using System.Diagnostics.Metrics;

namespace Statehouse.Cluster;

/// <summary>The node's metrics on the "Statehouse.Node" meter (exported by the server through OpenTelemetry).</summary>
internal sealed class NodeMetrics : IDisposable
{
    /// <summary>The meter name the server subscribes to.</summary>
    public const string MeterName = "Statehouse.Node";

    private readonly Meter _meter = new(MeterName);
    private readonly Histogram<double> _appendMs;
    private readonly Histogram<int> _batchCommands;
    private readonly Counter<long> _commands;
    private readonly Counter<long> _entries;
    private readonly Counter<long> _logBytes;
    private readonly Histogram<double> _snapshotMs;
    private readonly Counter<long> _leasesExpired;

    public NodeMetrics(StatehouseNode node)
    {
        // Sub-millisecond buckets: an fdatasync on a good disk takes ~0.1 ms.
        var msBuckets = new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 250, 1000, 5000] };
        _appendMs = _meter.CreateHistogram("statehouse.wal.append.duration", "ms", "Log append + fdatasync latency per entry", null, msBuckets);
        _batchCommands = _meter.CreateHistogram("statehouse.wal.batch.commands", "{command}", "Commands per log entry (group commit size)", null, new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048] });
        _commands = _meter.CreateCounter<long>("statehouse.commands.applied", "{command}", "Commands applied");
        _entries = _meter.CreateCounter<long>("statehouse.wal.entries", "{entry}", "Log entries written");
        _logBytes = _meter.CreateCounter<long>("statehouse.wal.bytes", "By", "Log payload bytes written");
        _snapshotMs = _meter.CreateHistogram("statehouse.snapshot.duration", "ms", "Snapshot write time", null, new InstrumentAdvice<double> { HistogramBucketBoundaries = [10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000] });
        _leasesExpired = _meter.CreateCounter<long>("statehouse.leases.expired", "{lease}", "Leases expired");
        _meter.CreateObservableGauge("statehouse.revision", () => node.View.Revision, null, "Store revision");
        _meter.CreateObservableGauge("statehouse.compact_revision", () => node.View.CompactRevision, null, "Compaction revision");
        _meter.CreateObservableGauge("statehouse.raft.applied_index", () => node.View.AppliedIndex, null, "Applied log index");
        _meter.CreateObservableGauge("statehouse.raft.commit_index", () => node.CommitIndex, null, "Committed log index");
        _meter.CreateObservableGauge("statehouse.raft.last_index", () => node.LastLogIndex, null, "Last log index held");
        _meter.CreateObservableGauge("statehouse.raft.term", () => node.Term, null, "Raft term");
        _meter.CreateObservableGauge("statehouse.raft.is_leader", () => node.IsLeader ? 1 : 0, null, "1 when this node leads");
        _meter.CreateObservableCounter("statehouse.raft.leader_changes", () => node.Elections, "{election}", "Leader changes seen by this node");
        _meter.CreateObservableCounter("statehouse.raft.snapshot_installs", () => node.SnapshotInstalls, "{snapshot}", "Snapshots installed from a leader");
        _meter.CreateObservableCounter("statehouse.raft.recoveries", () => node.Recoveries, "{recovery}", "Raft group restarts by the watchdog");
        _meter.CreateObservableGauge("statehouse.raft.replication_lag", () => node.ReplicationLag.Select(l => new Measurement<long>(l.Value, new KeyValuePair<string, object?>("follower", l.Key))), "{entry}", "Leader's applied index minus each follower's (leader only, sampled every few seconds)");
        _meter.CreateObservableGauge("statehouse.keys", () => node.View.TotalKeys, "{key}", "Live keys");
        _meter.CreateObservableGauge("statehouse.bytes", () => node.View.TotalBytes, "By", "Live key and value bytes");
        _meter.CreateObservableGauge("statehouse.leases", () => (long)node.View.Leases.Count, "{lease}", "Live leases");
        _meter.CreateObservableGauge("statehouse.wal.size", () => node.LogBytes, "By", "Bytes held by the log");
        _meter.CreateObservableGauge("statehouse.history.events", () => (long)node.History.Count, "{event}", "Change events held for watchers");
    }

    public void RecordAppend(double elapsedMs, int commands, int bytes)
    {
        _appendMs.Record(elapsedMs);
        _batchCommands.Record(commands);
        _commands.Add(commands);
        _entries.Add(1);
        _logBytes.Add(bytes);
    }

    public void RecordSnapshot(double elapsedMs) => _snapshotMs.Record(elapsedMs);

    public void RecordLeasesExpired(int count) => _leasesExpired.Add(count);

    public void Dispose() => _meter.Dispose();
}
