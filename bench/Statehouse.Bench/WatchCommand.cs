using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using V1 = Statehouse.V1;

namespace Statehouse.Bench;

/// <summary>
/// Watch fan-out: one writer puts at a fixed rate under a fresh prefix; W gRPC watchers on that prefix record when
/// each event arrives. The value carries the put's sequence number and send timestamp; the writer also keeps each
/// put's acknowledgement time. Every watcher must receive every acknowledged put exactly once, in order.
/// </summary>
internal static class WatchCommand
{
    private const string Keyspace = "default";

    public static async Task<int> RunAsync(Args a)
    {
        var endpoint = a.RequiredStr("endpoint");
        var watchers = a.Int("watchers", 100);
        var rate = a.Int("rate", 1_000);
        var seconds = a.Double("seconds", 10);
        var valueBytes = Math.Max(16, a.Int("value-bytes", 100));
        var drainSeconds = a.Double("drain-seconds", 10);
        var serverPid = a.Int("server-pid", 0);
        var round = a.Int("round", 0);
        var output = a.OptionalStr("out");
        a.RejectUnknown();

        var puts = (int)(rate * seconds);
        var prefix = $"watch/{Environment.ProcessId}-{DateTime.UtcNow.Ticks}/";
        var keys = Enumerable.Range(0, puts).Select(i => Encoding.ASCII.GetBytes(prefix + i.ToString("D8", CultureInfo.InvariantCulture))).ToArray();

        using var writerChannel = KvTargets.Channel(endpoint);
        using var watchChannel = KvTargets.Channel(endpoint, multipleConnections: true);
        var kv = new V1.KV.KVClient(writerChannel);
        var status = await new V1.Maintenance.MaintenanceClient(writerChannel).StatusAsync(new V1.StatusRequest(), deadline: KvTargets.Deadline());
        var fromRevision = status.Revision + 1; // nothing under the fresh prefix can be missed, whenever a stream gets established

        // Receive timestamps, [watcher][seq]; 0 = not received. Preallocated: no allocation in the receive path.
        var received = new long[watchers][];
        var sendStamp = new long[watchers][];
        var counts = new long[watchers];
        var duplicates = new long[watchers];
        var outOfOrder = new long[watchers];
        var firstResponse = new TaskCompletionSource[watchers];
        var errors = new ErrorLog();
        using var stop = new CancellationTokenSource();
        var cpu0 = serverPid > 0 ? ProcCpu.CpuMicros(serverPid) : null;
        var self0 = ProcCpu.CpuMicros(Environment.ProcessId);
        var watchTasks = new Task[watchers];
        for (var w = 0; w < watchers; w++)
        {
            received[w] = new long[puts];
            sendStamp[w] = new long[puts];
            firstResponse[w] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var index = w;
            watchTasks[w] = Task.Run(() => WatchLoopAsync(watchChannel, prefix, fromRevision, received[index], sendStamp[index], index, counts, duplicates, outOfOrder, firstResponse[index], errors, stop.Token));
        }

        // Progress notifications (every 500 ms) tell us each stream is live before the writer starts.
        await Task.WhenAny(Task.WhenAll(firstResponse.Select(t => t.Task)), Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        var live = firstResponse.Count(t => t.Task.IsCompleted);
        Console.WriteLine($"watch: {live}/{watchers} streams live before the writer started");

        // The writer is open-loop: put i is sent at start + i/rate whether or not earlier puts were answered (at most
        // 256 in flight), so a slow answer does not lower the offered rate.
        var ackStamp = new long[puts];
        var acked = 0;
        var putErrors = new ErrorLog();
        var periodTicks = Stopwatch.Frequency / (double)rate;
        using var inFlight = new SemaphoreSlim(256);
        var pending = new List<Task>(puts);
        var writerStart = Stopwatch.GetTimestamp();
        var writerDeadline = writerStart + (long)((seconds + 30) * Stopwatch.Frequency);
        for (var i = 0; i < puts && Stopwatch.GetTimestamp() < writerDeadline; i++)
        {
            var due = writerStart + (long)(i * periodTicks);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait).ConfigureAwait(false);
            }

            await inFlight.WaitAsync().ConfigureAwait(false);
            var seq = i;
            pending.Add(Task.Run(async () =>
            {
                try
                {
                    var value = new byte[valueBytes];
                    BinaryPrimitives.WriteInt64LittleEndian(value, seq);
                    BinaryPrimitives.WriteInt64LittleEndian(value.AsSpan(8), Stopwatch.GetTimestamp());
                    await kv.PutAsync(new V1.PutRequest { Keyspace = Keyspace, Key = UnsafeByteOperations.UnsafeWrap(keys[seq]), Value = UnsafeByteOperations.UnsafeWrap(value) }, deadline: KvTargets.Deadline()).ResponseAsync.ConfigureAwait(false);
                    ackStamp[seq] = Stopwatch.GetTimestamp();
                    Interlocked.Increment(ref acked);
                }
                catch (RpcException ex)
                {
                    putErrors.Add(ex);
                }
                finally
                {
                    inFlight.Release();
                }
            }));
        }

        await Task.WhenAny(Task.WhenAll(pending), Task.Delay(KvTargets.CallTimeout + TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        var writerSeconds = Stopwatch.GetElapsedTime(writerStart).TotalSeconds;
        long expected = (long)acked * watchers;
        var drainDeadline = Stopwatch.GetTimestamp() + (long)(drainSeconds * Stopwatch.Frequency);
        while (Sum(counts) < expected && Stopwatch.GetTimestamp() < drainDeadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        var cpu1 = serverPid > 0 ? ProcCpu.CpuMicros(serverPid) : null;
        var self1 = ProcCpu.CpuMicros(Environment.ProcessId);
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(watchTasks), Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);

        // Latencies: put sent (timestamp carried in the value) -> event received, and put acknowledged -> event received.
        var fromSend = new LatencyHistogram();
        var fromAck = new LatencyHistogram();
        long beforeAck = 0;
        long delivered = 0;
        long stampMismatch = 0;
        for (var w = 0; w < watchers; w++)
        {
            for (var i = 0; i < puts; i++)
            {
                var r = received[w][i];
                if (r == 0)
                {
                    continue;
                }

                delivered++;
                fromSend.Record(LatencyHistogram.TicksToNs(r - sendStamp[w][i]));
                if (ackStamp[i] == 0)
                {
                    stampMismatch++; // an event for a put whose call failed: applied although the client saw an error
                    continue;
                }

                if (r < ackStamp[i])
                {
                    beforeAck++;
                }

                fromAck.Record(LatencyHistogram.TicksToNs(Math.Max(0, r - ackStamp[i])));
            }
        }

        var result = new JsonObject
        {
            ["kind"] = "watch",
            ["round"] = round,
            ["watchers"] = watchers,
            ["rate_per_s"] = rate,
            ["achieved_put_rate_per_s"] = Results.R(acked / writerSeconds),
            ["puts_acked"] = acked,
            ["put_errors"] = putErrors.Total,
            ["events_expected"] = expected,
            ["events_delivered"] = delivered,
            ["duplicates"] = duplicates.Sum(),
            ["out_of_order"] = outOfOrder.Sum(),
            ["watch_errors"] = errors.Total,
            ["events_before_ack"] = beforeAck,
            ["events_for_failed_puts"] = stampMismatch,
            ["streams_live_at_start"] = live,
            ["server_cpu_us_per_event"] = cpu0 is { } c0 && cpu1 is { } c1 && delivered > 0 ? Results.R((c1 - c0) / delivered) : null,
            ["client_cpu_us_per_event"] = self0 is { } s0 && self1 is { } s1 && delivered > 0 ? Results.R((s1 - s0) / delivered) : null,
        };
        Results.AddLatencies(result, "send_to_event_", fromSend);
        Results.AddLatencies(result, "ack_to_event_", fromAck);
        if (errors.Total + putErrors.Total > 0)
        {
            result["error_summary"] = $"watch: {errors.Summary()} put: {putErrors.Summary()}";
        }

        Console.WriteLine($"watch {watchers} watchers, {acked} puts at {acked / writerSeconds:F0}/s: delivered {delivered}/{expected} (dup {duplicates.Sum()}, out of order {outOfOrder.Sum()}, watch errors {errors.Total}, put errors {putErrors.Total}); " +
            $"send->event p50 {Results.Ms(fromSend.PercentileMs(0.5))} p99 {Results.Ms(fromSend.PercentileMs(0.99))} max {Results.Ms(fromSend.PercentileMs(1))} ms; " +
            $"ack->event p50 {Results.Ms(fromAck.PercentileMs(0.5))} p99 {Results.Ms(fromAck.PercentileMs(0.99))} max {Results.Ms(fromAck.PercentileMs(1))} ms ({beforeAck} events arrived before the ack)");
        if (errors.Total + putErrors.Total > 0)
        {
            Console.WriteLine("  errors: " + result["error_summary"]);
        }

        Results.Append(output, result);
        return delivered == expected ? 0 : 2;
    }

    private static async Task WatchLoopAsync(
        Grpc.Net.Client.GrpcChannel channel, string prefix, long fromRevision, long[] received, long[] sendStamps, int index,
        long[] counts, long[] duplicates, long[] outOfOrder, TaskCompletionSource firstResponse, ErrorLog errors, CancellationToken stop)
    {
        var client = new V1.Watch.WatchClient(channel);
        var request = new V1.WatchRequest
        {
            Keyspace = Keyspace,
            Key = ByteString.CopyFromUtf8(prefix),
            Prefix = true,
            FromRevision = fromRevision,
            ProgressIntervalMs = 500,
        };
        long lastRevision = 0;
        try
        {
            using var call = client.Watch(request, cancellationToken: stop);
            while (await call.ResponseStream.MoveNext(stop).ConfigureAwait(false))
            {
                var now = Stopwatch.GetTimestamp();
                firstResponse.TrySetResult();
                foreach (var e in call.ResponseStream.Current.Events)
                {
                    var span = e.Kv.Value.Span;
                    if (span.Length < 16)
                    {
                        continue;
                    }

                    var seq = BinaryPrimitives.ReadInt64LittleEndian(span);
                    if (seq < 0 || seq >= received.Length)
                    {
                        continue;
                    }

                    if (received[seq] != 0)
                    {
                        duplicates[index]++;
                        continue;
                    }

                    if (e.Kv.ModRevision <= lastRevision)
                    {
                        outOfOrder[index]++; // revisions must strictly increase along one stream
                    }

                    lastRevision = e.Kv.ModRevision;
                    received[seq] = now;
                    sendStamps[seq] = BinaryPrimitives.ReadInt64LittleEndian(span[8..]);
                    Interlocked.Increment(ref counts[index]);
                }
            }
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && stop.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            errors.Add(ex);
        }
        finally
        {
            firstResponse.TrySetResult();
        }
    }

    private static long Sum(long[] counts)
    {
        long sum = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            sum += Volatile.Read(ref counts[i]);
        }

        return sum;
    }
}
