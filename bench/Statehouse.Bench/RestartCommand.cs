using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using V1 = Statehouse.V1;

namespace Statehouse.Bench;

/// <summary>
/// Cold restart after a crash: writes a log tail on top of the last snapshot, kill -9s the server, starts it again
/// on the same data directory and measures process start → first successful durable write, and → /healthz 200.
/// Checks that every acknowledged write before the kill is still there afterwards.
/// </summary>
internal static class RestartCommand
{
    public static async Task<int> RunAsync(Args a)
    {
        var dll = a.RequiredStr("dll");
        var data = a.RequiredStr("data");
        var http = a.RequiredStr("http");   // host:port
        var grpc = a.RequiredStr("grpc");   // host:port
        var pid = a.Int("pid", 0);
        var rounds = a.Int("rounds", 3);
        var tailWrites = a.Int("tail-writes", 20_000);
        var keyCount = a.Int("keys", 1_000_000);
        var pidFile = a.RequiredStr("pidfile");
        var serverLog = a.Str("server-log", "/dev/null");
        var timeoutSeconds = a.Double("timeout-seconds", 30);
        var output = a.OptionalStr("out");
        a.RejectUnknown();

        var keys = Keys.Make("bench/", keyCount);
        var exit = 0;
        for (var round = 1; round <= rounds; round++)
        {
            if (pid <= 0 || !ProcCpu.IsAlive(pid))
            {
                throw new InvalidOperationException($"No running server to kill (pid {pid}).");
            }

            // 1. A log tail after the snapshot, then remember the last acknowledged write of one key.
            var (marker, markerValue, statusBefore) = await WriteTailAsync($"http://{grpc}", keys, tailWrites, round).ConfigureAwait(false);
            Console.WriteLine($"round {round}: before kill: {statusBefore.Keys} keys, revision {statusBefore.Revision}, snapshot index {statusBefore.SnapshotIndex}, applied index {statusBefore.AppliedIndex}, wal {statusBefore.WalBytes / 1e6:F1} MB");

            // 2. kill -9 and wait until the process is gone (the listening sockets close with it).
            using (var victim = Process.GetProcessById(pid))
            {
                victim.Kill();
            }

            var gone = Stopwatch.StartNew();
            while (ProcCpu.IsAlive(pid) && gone.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(5).ConfigureAwait(false);
            }

            // 3. Start again; poll a write and /healthz concurrently.
            var started = Stopwatch.GetTimestamp();
            var process = Process.Start(new ProcessStartInfo("/bin/sh")
            {
                ArgumentList =
                {
                    "-c",
                    $"exec dotnet '{dll}' serve --data '{data}' --http {http} --grpc {grpc} --log-level Information >> '{serverLog}' 2>&1",
                },
                UseShellExecute = false,
            }) ?? throw new InvalidOperationException("Could not start the server.");
            pid = process.Id;
            await File.WriteAllTextAsync(pidFile, pid.ToString(CultureInfo.InvariantCulture) + "\n").ConfigureAwait(false);

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
            var startedUtc = DateTime.UtcNow;
            var healthTask = PollHealthAsync($"http://{http}", started, deadline.Token);
            var readTask = PollReadAsync($"http://{grpc}", started, deadline.Token);
            var (writeMs, attempts) = await PollWriteAsync($"http://{grpc}", keys[0], started, deadline.Token).ConfigureAwait(false);
            var healthMs = await healthTask.ConfigureAwait(false);
            var readMs = await readTask.ConfigureAwait(false);

            // 4. Nothing acknowledged before the kill may be lost.
            var (keysAfter, markerOk) = await VerifyAsync($"http://{grpc}", marker, markerValue).ConfigureAwait(false);
            var ok = writeMs is not null && healthMs is not null && markerOk && keysAfter >= statusBefore.Keys;
            if (!ok)
            {
                exit = 2;
            }

            // The engine logs what its start cost (snapshot load, replay); keep that line with the result.
            var startLine = serverLog == "/dev/null" ? null : File.ReadLines(serverLog).LastOrDefault(l => l.Contains("started: snapshot index", StringComparison.Ordinal));
            if (startLine is not null)
            {
                Console.WriteLine($"round {round}: server says: {startLine.Trim()}");
            }

            var result = new JsonObject
            {
                ["kind"] = "restart",
                ["server_start_log"] = startLine?.Trim(),
                ["round"] = round,
                ["keys_before"] = statusBefore.Keys,
                ["keys_after"] = keysAfter,
                ["wal_bytes_before"] = statusBefore.WalBytes,
                ["log_tail_entries"] = (long)(statusBefore.AppliedIndex - statusBefore.SnapshotIndex),
                ["start_to_first_write_ms"] = writeMs is { } w ? Results.R(w) : null,
                ["start_to_healthz_ms"] = healthMs is { } h ? Results.R(h) : null,
                ["start_to_first_grpc_read_ms"] = readMs is { } rd ? Results.R(rd) : null,
                ["started_utc"] = startedUtc.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture),
                ["write_attempts"] = attempts,
                ["last_acknowledged_write_survived"] = markerOk,
            };
            Console.WriteLine($"round {round}: started {startedUtc:HH:mm:ss.fff} UTC; start -> first write {writeMs:F0} ms ({attempts} attempts), start -> /healthz ok {healthMs:F0} ms, start -> first gRPC read {readMs:F0} ms; keys {statusBefore.Keys} -> {keysAfter}, last acknowledged write survived: {markerOk}");
            Results.Append(output, result);
        }

        return exit;
    }

    private static async Task<(byte[] Key, byte[] Value, V1.StatusResponse Status)> WriteTailAsync(string endpoint, byte[][] keys, int writes, int round)
    {
        using var channel = KvTargets.Channel(endpoint);
        var kv = new V1.KV.KVClient(channel);
        var next = -1;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var tasks = Enumerable.Range(0, 16).Select(c => Task.Run(async () =>
        {
            var random = new Random((round * 100) + c);
            var value = Keys.Value(100, c);
            while (Interlocked.Increment(ref next) < writes && !timeout.IsCancellationRequested)
            {
                await kv.PutAsync(new V1.PutRequest { Keyspace = "default", Key = UnsafeByteOperations.UnsafeWrap(keys[random.Next(keys.Length)]), Value = UnsafeByteOperations.UnsafeWrap(value) }, deadline: KvTargets.Deadline()).ResponseAsync.ConfigureAwait(false);
            }
        })).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);

        var marker = System.Text.Encoding.ASCII.GetBytes($"restart/marker-{round}");
        var markerValue = Keys.Value(64, round);
        await kv.PutAsync(new V1.PutRequest { Keyspace = "default", Key = ByteString.CopyFrom(marker), Value = ByteString.CopyFrom(markerValue) }, deadline: KvTargets.Deadline()).ResponseAsync.ConfigureAwait(false);
        var status = await new V1.Maintenance.MaintenanceClient(channel).StatusAsync(new V1.StatusRequest(), deadline: KvTargets.Deadline()).ResponseAsync.ConfigureAwait(false);
        return (marker, markerValue, status);
    }

    private static async Task<(double? Ms, int Attempts)> PollWriteAsync(string endpoint, byte[] key, long started, CancellationToken cancellationToken)
    {
        var value = Keys.Value(100, 1);
        var attempts = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            attempts++;
            try
            {
                // A fresh channel per attempt: a GrpcChannel that failed to connect backs off (1 s and growing) before
                // it tries again, which would add up to seconds to the measured restart time.
                using var channel = KvTargets.Channel(endpoint);
                var kv = new V1.KV.KVClient(channel);
                await kv.PutAsync(new V1.PutRequest { Keyspace = "default", Key = ByteString.CopyFrom(key), Value = ByteString.CopyFrom(value) }, deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, attempts);
            }
            catch (RpcException) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(5, CancellationToken.None).ConfigureAwait(false);
            }
            catch (RpcException)
            {
                break;
            }
        }

        return (null, attempts);
    }

    private static async Task<double?> PollReadAsync(string endpoint, long started, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var channel = KvTargets.Channel(endpoint); // fresh per attempt, see PollWriteAsync
                var maintenance = new V1.Maintenance.MaintenanceClient(channel);
                await maintenance.StatusAsync(new V1.StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
            catch (RpcException) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(5, CancellationToken.None).ConfigureAwait(false);
            }
            catch (RpcException)
            {
                break;
            }
        }

        return null;
    }

    private static async Task<double?> PollHealthAsync(string baseUri, long started, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUri), Timeout = TimeSpan.FromSeconds(5) };
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative), cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException)
            {
                break;
            }

            await Task.Delay(5, CancellationToken.None).ConfigureAwait(false);
        }

        return null;
    }

    private static async Task<(long Keys, bool MarkerOk)> VerifyAsync(string endpoint, byte[] marker, byte[] markerValue)
    {
        using var channel = KvTargets.Channel(endpoint);
        var kv = new V1.KV.KVClient(channel);
        var get = await kv.GetAsync(new V1.GetRequest { Keyspace = "default", Key = ByteString.CopyFrom(marker) }, deadline: KvTargets.Deadline()).ResponseAsync.ConfigureAwait(false);
        var status = await new V1.Maintenance.MaintenanceClient(channel).StatusAsync(new V1.StatusRequest(), deadline: KvTargets.Deadline()).ResponseAsync.ConfigureAwait(false);
        return (status.Keys, get.Found && get.Kv.Value.Span.SequenceEqual(markerValue));
    }
}
