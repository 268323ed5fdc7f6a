using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Statehouse.Chaos.Checking;
using Statehouse.Chaos.Formats;

namespace Statehouse.Chaos.Runner;

/// <summary>Settings of one lab run.</summary>
internal sealed record RunSettings(string Statehouse, int Nodes, int Clients, int Keys, TimeSpan Duration, int Seed, TimeSpan FaultInterval, IReadOnlyList<string> Faults, string WorkFolder, int BasePort);

/// <summary>
/// The register workload under a seeded nemesis: clients read, write and compare-and-set a few keys on random nodes
/// over HTTP (1 s timeout); every operation goes to a JSON-lines history; the nemesis kills, pauses or partitions
/// nodes; at the end everything is healed and the history is checked for linearizability.
/// </summary>
internal static class RegisterRun
{
    public static async Task<int> RunAsync(RunSettings settings, TextWriter output)
    {
        Directory.CreateDirectory(settings.WorkFolder);
        var partitions = settings.Faults.Contains("partition");
        await using var nodes = new NodeProcesses(settings.Statehouse, settings.Nodes, settings.BasePort, separateUsers: partitions, settings.WorkFolder);
        for (var i = 0; i < settings.Nodes; i++)
        {
            nodes.Start(i);
        }

        await nodes.WaitHealthyAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var historyPath = Path.Combine(settings.WorkFolder, "history.jsonl");
        await using var history = new StreamWriter(historyPath) { AutoFlush = false };
        var gate = new Lock();
        var clock = Stopwatch.StartNew();
        void Record(HistoryEvent e)
        {
            lock (gate)
            {
                history.WriteLine(JsonLinesHistory.Serialize(e));
            }
        }

        using var stop = new CancellationTokenSource(settings.Duration);
        var counts = new int[3];
        var workers = Enumerable.Range(0, settings.Clients).Select(c => Task.Run(() => WorkerAsync(c))).ToList();
        var faults = await NemesisAsync(nodes, settings, stop.Token).ConfigureAwait(false);
        await Task.WhenAll(workers).ConfigureAwait(false);
        lock (gate)
        {
            history.Flush();
        }

        // Heal and bring every node back before judging; the final state must converge.
        nodes.Heal();
        for (var i = 0; i < settings.Nodes; i++)
        {
            nodes.Signal(i, "CONT");
            if (!nodes.IsRunning(i))
            {
                nodes.Start(i);
            }
        }

        await nodes.WaitHealthyAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        var ops = JsonLinesHistory.Read(File.ReadLines(historyPath));
        var result = LinearizabilityChecker.Check(ops, null, TimeSpan.FromMinutes(5));
        output.WriteLine($"seed {settings.Seed}: {ops.Count} operations (ok {counts[0]}, fail {counts[1]}, unknown {counts[2]}); faults: {string.Join(", ", faults.GroupBy(f => f).Select(g => $"{g.Key} {g.Count()}"))}");
        output.WriteLine($"linearizability: {result.Verdict} ({result.StatesExplored} steps, {result.Elapsed.TotalMilliseconds:F0} ms){(result.Key is null ? "" : $" on key {result.Key}")}; history {historyPath}");
        return result.Verdict switch { Verdict.Linearizable => 0, Verdict.NotLinearizable => 1, _ => 2 };

        async Task WorkerAsync(int client)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
            var random = new Random(HashCode.Combine(settings.Seed, client));
            var lastValue = new Dictionary<string, (string Value, long Revision)>();
            var sequence = 0;
            while (!stop.IsCancellationRequested)
            {
                var node = random.Next(settings.Nodes);
                var key = $"r{random.Next(settings.Keys)}";
                var now = clock.Elapsed.Ticks * 100;
                var kind = random.Next(3);
                string op = kind == 0 ? "read" : kind == 1 || !lastValue.ContainsKey(key) ? "write" : "cas";
                var value = op == "read" ? null : $"c{client}-{sequence++}";
                string? expected = op == "cas" ? lastValue[key].Value : null;
                Record(new HistoryEvent(client, "invoke", op, key, value, expected, now));
                string phase;
                string? readValue = null;
                try
                {
                    using var request = new HttpRequestMessage(op == "read" ? HttpMethod.Get : HttpMethod.Put, nodes.Url(node, $"/v1/kv/default/{key}"));
                    if (op != "read")
                    {
                        request.Content = new StringContent(value!);
                        request.Headers.Add("Idempotency-Key", $"lab-{settings.Seed}-{value}");
                    }

                    if (op == "cas")
                    {
                        request.Headers.TryAddWithoutValidation("If-Match", $"\"{lastValue[key].Revision}\"");
                    }

                    using var response = await http.SendAsync(request).ConfigureAwait(false);
                    if (op == "read")
                    {
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            readValue = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                            var revision = long.Parse(response.Headers.GetValues("X-Statehouse-Mod-Revision").Single(), CultureInfo.InvariantCulture);
                            lastValue[key] = (readValue, revision);
                            phase = "ok";
                        }
                        else
                        {
                            phase = response.StatusCode == HttpStatusCode.NotFound ? "ok" : "fail";
                        }
                    }
                    else if (response.IsSuccessStatusCode)
                    {
                        var revision = (await response.Content.ReadFromJsonAsync<JsonElement>().ConfigureAwait(false)).GetProperty("revision").GetInt64();
                        lastValue[key] = (value!, revision);
                        phase = "ok";
                    }
                    else
                    {
                        // A 412 compare-and-set definitely did not swap; any other failure may still have applied.
                        phase = op == "cas" && response.StatusCode == HttpStatusCode.PreconditionFailed ? "fail" : "info";
                        if (phase == "fail")
                        {
                            lastValue.Remove(key);
                        }
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    phase = op == "read" ? "fail" : "info";
                }

                Interlocked.Increment(ref counts[phase switch { "ok" => 0, "fail" => 1, _ => 2 }]);
                Record(new HistoryEvent(client, phase, op, key, readValue, null, clock.Elapsed.Ticks * 100));
            }
        }
    }

    private static async Task<List<string>> NemesisAsync(NodeProcesses nodes, RunSettings settings, CancellationToken stop)
    {
        var random = new Random(settings.Seed);
        var injected = new List<string>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(settings.FaultInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var fault = settings.Faults[random.Next(settings.Faults.Count)];
            var leader = await nodes.LeaderAsync().ConfigureAwait(false);
            var target = leader >= 0 && random.Next(2) == 0 ? leader : random.Next(settings.Nodes);
            var hold = TimeSpan.FromMilliseconds(random.Next(1000, 3000));
            injected.Add(fault);
            switch (fault)
            {
                case "kill":
                    nodes.Kill(target);
                    await Task.Delay(hold, CancellationToken.None).ConfigureAwait(false);
                    nodes.Start(target);
                    break;
                case "pause":
                    nodes.Signal(target, "STOP");
                    await Task.Delay(hold, CancellationToken.None).ConfigureAwait(false);
                    nodes.Signal(target, "CONT");
                    break;
                case "partition":
                    nodes.Partition([target], Enumerable.Range(0, settings.Nodes).Where(n => n != target).ToList());
                    await Task.Delay(hold, CancellationToken.None).ConfigureAwait(false);
                    nodes.Heal();
                    break;
                default:
                    throw new ArgumentException($"Unknown fault '{fault}'.");
            }
        }

        return injected;
    }
}
