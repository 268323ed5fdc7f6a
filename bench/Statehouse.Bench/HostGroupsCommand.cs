using System.Diagnostics;
using System.Text.Json.Nodes;
using Statehouse.Raft;
using Statehouse.Replication;

namespace Statehouse.Bench;

/// <summary>
/// The new engine of issue 13 alone, in process: <see cref="HostRuntime"/> over <see cref="FileReplicaStore"/>,
/// N groups on one node (every group a one-member group) or on three nodes joined by an in-process transport.
/// <c>--idle</c>: no writes, CPU and memory of the idle groups; otherwise W writers spread over the groups, each
/// awaiting its command's apply (durable on the node's quorum): durable commands/s, latency, batches per sync.
/// </summary>
internal static class HostGroupsCommand
{
    public static async Task<int> RunAsync(Args a)
    {
        var groups = a.Int("groups", 1);
        var nodes = a.Int("nodes", 1);
        var writers = a.Int("writers", 64);
        var seconds = a.Double("seconds", 10);
        var warmup = a.Double("warmup", 1);
        var valueBytes = a.Int("value-bytes", 100);
        var tickMs = a.Int("tick-ms", 100);
        var idle = a.Flag("idle");
        var round = a.Int("round", 0);
        var root = a.Str("data", Path.Combine(Path.GetTempPath(), $"statehouse-bench-host-{Environment.ProcessId}"));
        var output = a.OptionalStr("out");
        a.RejectUnknown();
        if (nodes is not (1 or 3) || groups < 1 || writers < 1)
        {
            throw new ArgumentException("--nodes is 1 or 3, --groups and --writers ≥ 1.");
        }

        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }

        var ids = Enumerable.Range(1, nodes).Select(i => new NodeId((ulong)i)).ToArray();
        var groupIds = Enumerable.Range(1, groups).Select(i => new GroupId((ulong)i)).ToArray();
        var wire = new Wire();
        var cluster = ids.Select(id => new BenchNode(id, Path.Combine(root, $"n{id.Value}"), wire, TimeSpan.FromMilliseconds(tickMs))).ToList();
        try
        {
            foreach (var node in cluster)
            {
                node.Start();
                foreach (var group in groupIds)
                {
                    await node.Runtime.InvokeAsync(host =>
                    {
                        host.CreateGroup(new GroupDescriptor(group, node.Id, new Configuration(ids)));
                        return true;
                    }).ConfigureAwait(false);
                }
            }

            var leaders = new Dictionary<GroupId, BenchNode>();
            var deadline = Stopwatch.StartNew();
            while (leaders.Count < groups && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                foreach (var group in groupIds.Where(g => !leaders.ContainsKey(g)))
                {
                    foreach (var node in cluster)
                    {
                        if (await node.Runtime.InvokeAsync(h => h.Status(group)?.Role).ConfigureAwait(false) == RaftRole.Leader)
                        {
                            leaders[group] = node;
                        }
                    }
                }

                await Task.Delay(20).ConfigureAwait(false);
            }

            if (leaders.Count < groups)
            {
                throw new TimeoutException($"Only {leaders.Count} of {groups} groups elected a leader within 60 s.");
            }

            var freq = Stopwatch.Frequency;
            if (idle)
            {
                await Task.Delay(TimeSpan.FromSeconds(warmup)).ConfigureAwait(false);
                GC.Collect();
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var t0 = Stopwatch.GetTimestamp();
                await Task.Delay(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
                var cpu1 = Process.GetCurrentProcess().TotalProcessorTime;
                var elapsed = (Stopwatch.GetTimestamp() - t0) / (double)freq;
                var corePercent = (cpu1 - cpu0).TotalSeconds / elapsed * 100 / nodes;
                var managedMb = GC.GetTotalMemory(forceFullCollection: true) / 1e6 / nodes;
                var workingSetMb = Process.GetCurrentProcess().WorkingSet64 / 1e6;
                Console.WriteLine($"host-groups idle: {groups} groups x {nodes} nodes (tick {tickMs} ms): {corePercent:F2} % of one core per node, managed heap {managedMb:F1} MB per node, working set {workingSetMb:F0} MB (whole process)");
                Results.Append(output, new JsonObject
                {
                    ["kind"] = "host-groups-idle", ["groups"] = groups, ["nodes"] = nodes, ["round"] = round, ["tick_ms"] = tickMs,
                    ["core_percent_per_node"] = Results.R(corePercent), ["managed_mb_per_node"] = Results.R(managedMb), ["working_set_mb"] = Results.R(workingSetMb),
                });
                return 0;
            }

            var measureFrom = Stopwatch.GetTimestamp() + (long)(warmup * freq);
            var measureTo = measureFrom + (long)(seconds * freq);
            var histograms = new LatencyHistogram[writers];
            long failures = 0;
            using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(warmup + seconds + 30));
            var tasks = new Task[writers];
            for (var w = 0; w < writers; w++)
            {
                var h = histograms[w] = new LatencyHistogram();
                var group = groupIds[w % groups];
                var leader = leaders[group];
                var value = Keys.Value(valueBytes, w);
                tasks[w] = Task.Run(async () =>
                {
                    while (!hardStop.IsCancellationRequested)
                    {
                        var t0 = Stopwatch.GetTimestamp();
                        if (t0 >= measureTo)
                        {
                            return;
                        }

                        var result = await leader.Runtime.ProposeAsync(group, value).ConfigureAwait(false);
                        if (!result.Accepted)
                        {
                            Interlocked.Increment(ref failures);
                            await Task.Delay(1).ConfigureAwait(false);
                            continue;
                        }

                        await leader.Machines[group].WaitAppliedAsync(result.Index).ConfigureAwait(false);
                        var t1 = Stopwatch.GetTimestamp();
                        if (t0 >= measureFrom && t1 <= measureTo)
                        {
                            h.Record(LatencyHistogram.TicksToNs(t1 - t0));
                        }
                    }
                });
            }

            await LoadCommand.SleepUntilAsync(measureFrom).ConfigureAwait(false);
            var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            var stats0 = await Statistics(cluster).ConfigureAwait(false);
            await LoadCommand.SleepUntilAsync(measureTo).ConfigureAwait(false);
            var cpuEnd = Process.GetCurrentProcess().TotalProcessorTime;
            var stats1 = await Statistics(cluster).ConfigureAwait(false);
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            var all = new LatencyHistogram();
            foreach (var h in histograms)
            {
                all.Merge(h);
            }

            var perSec = all.Count / seconds;
            var batches = stats1.Batches - stats0.Batches;
            var readys = stats1.Readys - stats0.Readys;
            var cpuUs = all.Count > 0 ? (cpuEnd - cpuStart).TotalMicroseconds / all.Count : double.NaN;
            Console.WriteLine($"host-groups {groups} groups x {nodes} nodes, {writers} writers: {perSec:F0} durable commands/s, p50 {Results.Ms(all.PercentileMs(0.5))} ms p99 {Results.Ms(all.PercentileMs(0.99))} ms max {Results.Ms(all.PercentileMs(1))} ms, {batches / seconds:F0} batches/s ({(batches > 0 ? (double)readys / batches : 0):F1} group Readys per batch), refused {failures}, process CPU {cpuUs:F1} µs/command (all nodes and writers)");
            var json = new JsonObject
            {
                ["kind"] = "host-groups", ["groups"] = groups, ["nodes"] = nodes, ["writers"] = writers, ["round"] = round, ["seconds"] = seconds,
                ["ops"] = all.Count, ["ops_per_s"] = Results.R(perSec), ["batches_per_s"] = Results.R(batches / seconds),
                ["readys_per_batch"] = batches > 0 ? Results.R((double)readys / batches) : null, ["refused"] = failures,
                ["process_cpu_us_per_op"] = Results.R(cpuUs),
            };
            Results.AddLatencies(json, "", all);
            Results.Append(output, json);
            return 0;
        }
        finally
        {
            foreach (var node in cluster)
            {
                await node.DisposeAsync().ConfigureAwait(false);
            }

            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static async Task<(long Batches, long Readys)> Statistics(List<BenchNode> cluster)
    {
        long batches = 0, readys = 0;
        foreach (var node in cluster)
        {
            var (b, r) = await node.Runtime.InvokeAsync(h => (h.Statistics.Batches, h.Statistics.ReadysPersisted)).ConfigureAwait(false);
            batches += b;
            readys += r;
        }

        return (batches, readys);
    }

    /// <summary>Counts applied entries; writers wait for their index.</summary>
    private sealed class CountingMachine : IGroupStateMachine
    {
        private readonly Lock _gate = new();
        private readonly PriorityQueue<TaskCompletionSource, ulong> _waiting = new();
        private ulong _applied;

        public Task WaitAppliedAsync(LogIndex index)
        {
            lock (_gate)
            {
                if (_applied >= index.Value)
                {
                    return Task.CompletedTask;
                }

                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Enqueue(done, index.Value);
                return done.Task;
            }
        }

        public void Apply(Entry entry)
        {
            lock (_gate)
            {
                _applied = entry.Index.Value;
                while (_waiting.TryPeek(out var done, out var at) && at <= _applied)
                {
                    _waiting.Dequeue();
                    done.TrySetResult();
                }
            }
        }

        public void Restore(SnapshotMeta snapshot, Stream data)
        {
            lock (_gate)
            {
                _applied = snapshot.Index.Value;
            }
        }

        public IStateCapture Capture() => new Empty();

        private sealed class Empty : IStateCapture
        {
            public void WriteTo(Stream destination)
            {
            }
        }
    }

    private sealed class Wire
    {
        public Dictionary<NodeId, HostRuntime> Runtimes { get; } = [];
    }

    private sealed class Transport(Wire wire) : IPeerTransport
    {
        public void Send(IReadOnlyList<Message> messages)
        {
            foreach (var perNode in messages.GroupBy(m => m.To))
            {
                HostRuntime? target;
                lock (wire.Runtimes)
                {
                    wire.Runtimes.TryGetValue(perNode.Key, out target);
                }

                target?.Deliver(perNode.ToArray());
            }
        }
    }

    private sealed class BenchNode(NodeId id, string directory, Wire wire, TimeSpan tick) : IAsyncDisposable
    {
        private FileReplicaStore? _store;

        public NodeId Id { get; } = id;

        public Dictionary<GroupId, CountingMachine> Machines { get; } = [];

        public HostRuntime Runtime { get; private set; } = null!;

        public void Start()
        {
            _store = FileReplicaStore.Open(new FileReplicaStoreOptions { Directory = directory });
            Runtime = new HostRuntime(new HostRuntimeOptions { TickInterval = tick }, _store, new Transport(wire), d =>
            {
                lock (Machines)
                {
                    return Machines[d.Group] = new CountingMachine();
                }
            });
            lock (wire.Runtimes)
            {
                wire.Runtimes[Id] = Runtime;
            }

            Runtime.Start();
        }

        public async ValueTask DisposeAsync()
        {
            await Runtime.DisposeAsync().ConfigureAwait(false);
            _store?.Dispose();
        }
    }
}
