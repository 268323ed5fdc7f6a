using System.Diagnostics;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using V1 = Statehouse.V1;

namespace Statehouse.Bench;

/// <summary>
/// Leader failover of a 3-member cluster started by bench/cluster.sh. Per round: find the leader, let one client write
/// continuously (short per-request deadline, rotating over every member on a failure), <c>kill -9</c> the leader,
/// measure kill → first successful write sent after the kill, start the killed member again on its data folder and
/// wait until it has caught up (applied what the leader had committed when it first answered).
/// </summary>
internal static class FailoverCommand
{
    public static async Task<int> RunAsync(Args a)
    {
        var target = a.RequiredStr("target");
        var members = MemberSpec.Load(a.RequiredStr("members"));
        var rounds = a.Int("rounds", 1);
        var roundOffset = a.Int("round-offset", 0);
        var writeTimeout = TimeSpan.FromMilliseconds(a.Int("write-timeout-ms", 100));
        var intervalMs = a.Double("interval-ms", 2);
        var settle = TimeSpan.FromMilliseconds(a.Int("settle-ms", 1000));
        var failoverTimeout = TimeSpan.FromSeconds(a.Double("failover-timeout-seconds", 30));
        var catchUpTimeout = TimeSpan.FromSeconds(a.Double("catch-up-timeout-seconds", 60));
        var maxSeconds = a.Double("max-seconds", 600);
        var output = a.OptionalStr("out");
        a.RejectUnknown();
        if (rounds is < 1 or > 100)
        {
            throw new ArgumentException("--rounds must be 1..100.");
        }

        using var total = new CancellationTokenSource(TimeSpan.FromSeconds(maxSeconds));
        using var probe = new ClusterProbe(target);
        for (var i = 0; i < members.Length; i++)
        {
            if (!members[i].IsAlive)
            {
                Console.Error.WriteLine($"{target}: {members[i].Name} (pid {members[i].Pid}) is not running");
                return 2;
            }
        }

        var exit = 0;
        for (var r = 1; r <= rounds && !total.IsCancellationRequested; r++)
        {
            var round = roundOffset + r;
            var leader = await probe.FindLeaderAsync(members, TimeSpan.FromSeconds(30), total.Token).ConfigureAwait(false);
            if (leader < 0)
            {
                Console.Error.WriteLine($"{target} round {round}: no leader within 30 s");
                return 2;
            }

            using var writer = new FailoverWriter(target, members, leader, writeTimeout, intervalMs);
            using var stopWriter = CancellationTokenSource.CreateLinkedTokenSource(total.Token);
            var writerTask = Task.Run(() => writer.RunAsync(stopWriter.Token));
            var result = new JsonObject { ["kind"] = "failover", ["target"] = target, ["round"] = round };
            try
            {
                // Steady writes first: at least `settle` of them, the last one recent.
                var since = Stopwatch.GetTimestamp();
                await Task.Delay(settle, total.Token).ConfigureAwait(false);
                if (writer.FirstSuccessAfter(since) is null)
                {
                    throw new InvalidOperationException($"no successful write in the {settle.TotalMilliseconds:F0} ms before the kill ({writer.Errors.Summary()})");
                }

                var victim = members[leader];
                var pid = victim.Pid ?? throw new InvalidOperationException($"no pid for {victim.Name}");
                writer.MarkPhase();
                var killAt = Stopwatch.GetTimestamp();
                using (var process = Process.GetProcessById(pid))
                {
                    process.Kill(); // SIGKILL
                }

                var goneMs = await WaitGoneAsync(pid, killAt).ConfigureAwait(false);
                var first = await writer.WaitFirstSuccessAfterAsync(killAt, failoverTimeout, total.Token).ConfigureAwait(false);
                double? failoverMs = first is { } f ? Ms(f.End - killAt) : null;
                var errorsAfterKill = writer.Errors.Total;
                var errorSummary = writer.Errors.Summary();
                var trace = writer.Trace();
                var newLeader = await probe.FindLeaderAsync(members, TimeSpan.FromSeconds(10), total.Token).ConfigureAwait(false);

                // Bring the killed member back on its own data folder; the writer keeps writing meanwhile.
                writer.MarkPhase();
                var restartAt = Stopwatch.GetTimestamp();
                var newPid = victim.Start();
                var caughtUp = await probe.WaitCaughtUpAsync(members, leader, catchUpTimeout, total.Token).ConfigureAwait(false);
                var caughtUpAt = Stopwatch.GetTimestamp();
                var rejoin = writer.Between(restartAt, caughtUpAt);
                var rejoinErrors = writer.Errors.Total;

                result["killed"] = victim.Name;
                result["killed_pid"] = pid;
                result["kill_to_gone_ms"] = goneMs is { } g ? Results.R(g) : null;
                result["failover_ms"] = failoverMs is { } fm ? Results.R(fm) : null;
                result["first_write_via"] = first is { } fw ? members[fw.Member].Name : null;
                result["new_leader"] = newLeader >= 0 ? members[newLeader].Name : null;
                result["errors_until_first_write"] = errorsAfterKill;
                result["error_summary"] = errorsAfterKill > 0 ? errorSummary : null;
                result["failed_attempts"] = new JsonArray([.. trace.Select(t => (JsonNode)t)]);
                result["restarted_pid"] = newPid;
                result["restart_to_caught_up_ms"] = caughtUp ? Results.R(Ms(caughtUpAt - restartAt)) : null;
                result["rejoin_writes"] = rejoin.Count;
                result["rejoin_max_write_ms"] = rejoin.Count > 0 ? Results.R(rejoin.MaxMs) : null;
                result["rejoin_errors"] = rejoinErrors;
                result["write_timeout_ms"] = writeTimeout.TotalMilliseconds;
                Console.WriteLine($"{target} failover round {round}: killed leader {victim.Name} (pid {pid}); first write after {Results.Ms(failoverMs ?? double.NaN)} ms via {result["first_write_via"]}, new leader {result["new_leader"]}, {errorsAfterKill} failed attempts ({errorSummary}); restarted as pid {newPid}, caught up after {(caughtUp ? Results.Ms(Ms(caughtUpAt - restartAt)) : "TIMEOUT")} ms, longest write meanwhile {Results.Ms(rejoin.MaxMs)} ms, {rejoinErrors} failed");
                if (failoverMs is null || !caughtUp)
                {
                    exit = 1;
                }

                // Let the cluster settle before the next kill (a rejoined member may still be installing state).
                await Task.Delay(settle, total.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or System.ComponentModel.Win32Exception)
            {
                Console.Error.WriteLine($"{target} failover round {round} failed: {ex.Message}");
                result["failed"] = ex.Message;
                exit = 1;
            }
            finally
            {
                await stopWriter.CancelAsync().ConfigureAwait(false);
                await writerTask.ConfigureAwait(false);
            }

            Results.Append(output, result);
            if (result["failed"] is not null)
            {
                break;
            }

            // Every member must be running for the next round (the restarted one included).
            foreach (var m in members.Where(m => !m.IsAlive))
            {
                Console.Error.WriteLine($"{target}: {m.Name} is not running after round {round}; see {m.LogFile}");
                return 2;
            }
        }

        return exit;
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static async Task<double?> WaitGoneAsync(int pid, long killAt)
    {
        for (var i = 0; i < 2000 && ProcCpu.IsAlive(pid); i++)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }

        return ProcCpu.IsAlive(pid) ? null : Ms(Stopwatch.GetTimestamp() - killAt);
    }
}

/// <summary>
/// One closed-loop writer: a put at most every <c>interval</c>, each with a short deadline; on a failure it moves to
/// the next member (with a fresh channel for the one that failed: a channel that saw a refused connection backs off).
/// Remembers every successful write's send and answer time.
/// </summary>
internal sealed class FailoverWriter(string target, MemberSpec[] members, int first, TimeSpan timeout, double intervalMs) : IDisposable
{
    private readonly List<(long Start, long End, int Member)> _ok = new(1 << 16);
    private readonly Lock _lock = new();
    private readonly GrpcChannel?[] _channels = new GrpcChannel?[members.Length];
    private readonly byte[][] _keys = Keys.Make("bench/", 100_000);
    private readonly byte[] _value = Keys.Value(100, 7);

    private readonly List<string> _trace = [];
    private long _phaseStart = Stopwatch.GetTimestamp();

    /// <summary>Failed attempts since the last <see cref="MarkPhase"/>.</summary>
    public ErrorLog Errors { get; private set; } = new();

    /// <summary>The first failed attempts since the last <see cref="MarkPhase"/>: "sent at +ms, member, code, took ms".</summary>
    public string[] Trace()
    {
        lock (_lock)
        {
            return [.. _trace];
        }
    }

    public void MarkPhase()
    {
        lock (_lock)
        {
            _trace.Clear();
            _phaseStart = Stopwatch.GetTimestamp();
            Errors = new ErrorLog();
        }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        var random = new Random(first);
        var current = first;
        var interval = (long)(intervalMs * Stopwatch.Frequency / 1000);
        var next = Stopwatch.GetTimestamp();
        while (!stop.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            if (now < next)
            {
                await Task.Delay(TimeSpan.FromTicks(Math.Max(1, (next - now) * TimeSpan.TicksPerSecond / Stopwatch.Frequency)), CancellationToken.None).ConfigureAwait(false);
            }

            var t0 = Stopwatch.GetTimestamp();
            next = t0 + interval;
            try
            {
                await PutAsync(current, _keys[random.Next(_keys.Length)], stop).ConfigureAwait(false);
                var t1 = Stopwatch.GetTimestamp();
                lock (_lock)
                {
                    _ok.Add((t0, t1, current));
                }
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                Errors.Add(ex);
                lock (_lock)
                {
                    if (_trace.Count < 40)
                    {
                        var code = ex is RpcException rpc ? rpc.StatusCode.ToString() : ex.GetType().Name;
                        _trace.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"+{(t0 - _phaseStart) * 1000.0 / Stopwatch.Frequency:F0} ms {members[current].Name} {code} after {(Stopwatch.GetTimestamp() - t0) * 1000.0 / Stopwatch.Frequency:F0} ms"));
                    }
                }

                _channels[current]?.Dispose();
                _channels[current] = null;
                current = (current + 1) % members.Length;
                await Task.Delay(2, CancellationToken.None).ConfigureAwait(false); // every member failing fast must not spin
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>The first successful write sent at or after <paramref name="timestamp"/>.</summary>
    public (long Start, long End, int Member)? FirstSuccessAfter(long timestamp)
    {
        lock (_lock)
        {
            (long, long, int)? found = null;
            for (var i = _ok.Count - 1; i >= 0 && _ok[i].Start >= timestamp; i--)
            {
                found = _ok[i];
            }

            return found;
        }
    }

    public async Task<(long Start, long End, int Member)?> WaitFirstSuccessAfterAsync(long timestamp, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested)
        {
            if (FirstSuccessAfter(timestamp) is { } found)
            {
                return found;
            }

            await Task.Delay(2, CancellationToken.None).ConfigureAwait(false);
        }

        return FirstSuccessAfter(timestamp);
    }

    /// <summary>Successful writes sent in [from, to): how many, and the longest.</summary>
    public (int Count, double MaxMs) Between(long from, long to)
    {
        lock (_lock)
        {
            var count = 0;
            long max = 0;
            for (var i = _ok.Count - 1; i >= 0 && _ok[i].Start >= from; i--)
            {
                if (_ok[i].Start < to)
                {
                    count++;
                    max = Math.Max(max, _ok[i].End - _ok[i].Start);
                }
            }

            return (count, max * 1000.0 / Stopwatch.Frequency);
        }
    }

    private async Task PutAsync(int member, byte[] key, CancellationToken cancellationToken)
    {
        var channel = _channels[member] ??= KvTargets.Channel(members[member].Grpc);
        var deadline = DateTime.UtcNow.Add(timeout);
        if (target == "etcd")
        {
            var request = new Etcd.PutRequest { Key = UnsafeByteOperations.UnsafeWrap(key), Value = UnsafeByteOperations.UnsafeWrap(_value) };
            await new Etcd.KV.KVClient(channel).PutAsync(request, deadline: deadline, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        }
        else
        {
            var request = new V1.PutRequest { Keyspace = "default", Key = UnsafeByteOperations.UnsafeWrap(key), Value = UnsafeByteOperations.UnsafeWrap(_value) };
            await new V1.KV.KVClient(channel).PutAsync(request, deadline: deadline, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        foreach (var c in _channels)
        {
            c?.Dispose();
        }
    }
}
