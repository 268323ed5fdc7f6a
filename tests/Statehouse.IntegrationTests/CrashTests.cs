using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace Statehouse.IntegrationTests;

/// <summary>
/// Kill -9 the server at random moments under concurrent writers and a watcher; restart on the same data; every
/// acknowledged write must be there with its revision, and the watcher must resume with no gap and no duplicate.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KillNine_LosesNoAcknowledgedWrite_AndWatcherResumesWithoutGapOrDuplicate()
    {
        var seed = Environment.GetEnvironmentVariable("STATEHOUSE_CRASH_SEED") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        var rounds = Environment.GetEnvironmentVariable("STATEHOUSE_CRASH_ROUNDS") is { } r ? int.Parse(r, System.Globalization.CultureInfo.InvariantCulture) : 4;
        output.WriteLine($"seed {seed}, rounds {rounds} (replay with STATEHOUSE_CRASH_SEED={seed})");
        var random = new Random(seed);

        // A small snapshot threshold makes kills land during snapshots and log truncation too.
        await using var server = new ServerProcess(null, "--snapshot-entries", "200");
        var acked = new ConcurrentDictionary<string, long>();
        var watched = new List<(long Revision, string Key)>();
        long lastWatched = 0;
        const string prefix = "crash/";

        for (var round = 0; round < rounds; round++)
        {
            await server.StartAsync();
            using var http = new HttpClient { BaseAddress = server.HttpUri, Timeout = TimeSpan.FromSeconds(5) };
            using var stop = new CancellationTokenSource();

            // The watcher resumes from the last revision it saw.
            var watcher = Task.Run(async () =>
            {
                try
                {
                    await SseWatcher.RunAsync(
                        http,
                        SseWatcher.Url("default", prefix, lastWatched + 1),
                        (revision, type, key) =>
                        {
                            lock (watched)
                            {
                                watched.Add((revision, key));
                                lastWatched = Math.Max(lastWatched, revision);
                            }
                        },
                        null,
                        stop.Token);
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or TaskCanceledException)
                {
                }
            });

            var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                var seq = 0;
                while (!stop.IsCancellationRequested)
                {
                    var key = $"{prefix}r{round}-w{w}-{seq++}";
                    try
                    {
                        using var response = await http.PutAsync($"/v1/kv/default/{key}", new StringContent(key));
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            var revision = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("revision").GetInt64();
                            acked[key] = revision;
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
                    {
                        // Outcome unknown: the write may or may not be there after the restart.
                        await Task.Delay(10);
                    }
                }
            })).ToList();

            await Task.Delay(random.Next(300, 1500));
            server.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
            await watcher;
            output.WriteLine($"round {round}: acked so far {acked.Count}, watched {watched.Count}, last watched revision {lastWatched}");
        }

        await server.StartAsync();
        using (var http = new HttpClient { BaseAddress = server.HttpUri, Timeout = TimeSpan.FromSeconds(30) })
        {
            // 1. Every acknowledged write is present with the revision it was acknowledged with.
            var present = new Dictionary<string, long>();
            string? after = null;
            long finalRevision;
            do
            {
                var url = $"/v1/kv/default?prefix={Uri.EscapeDataString(prefix)}&limit=5000" + (after is null ? "" : $"&after={after}");
                var page = JsonDocument.Parse(await http.GetStringAsync(url)).RootElement;
                finalRevision = page.GetProperty("revision").GetInt64();
                foreach (var item in page.GetProperty("items").EnumerateArray())
                {
                    present[item.GetProperty("key").GetString()!] = item.GetProperty("modRevision").GetInt64();
                }

                after = page.TryGetProperty("continuation", out var c) ? c.GetString() : null;
            }
            while (after is not null);

            var lost = acked.Where(a => !present.TryGetValue(a.Key, out var rev) || rev != a.Value).ToList();
            Assert.True(lost.Count == 0, $"lost or changed acknowledged writes: {string.Join(", ", lost.Take(10))}");

            // 2. The watcher, resumed once more to the end, saw every write exactly once, in revision order.
            using var done = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await SseWatcher.RunAsync(
                    http,
                    SseWatcher.Url("default", prefix, lastWatched + 1),
                    (revision, _, key) =>
                    {
                        watched.Add((revision, key));
                        lastWatched = revision;
                    },
                    progress =>
                    {
                        if (progress >= finalRevision)
                        {
                            done.Cancel();
                        }
                    },
                    done.Token);
            }
            catch (OperationCanceledException)
            {
            }

            Assert.True(watched.Zip(watched.Skip(1)).All(p => p.First.Revision < p.Second.Revision), "watch events out of order or duplicated");
            var watchedSet = watched.ToDictionary(w => w.Key, w => w.Revision);
            Assert.Equal(present.Count, watched.Count);
            Assert.All(present, p => Assert.Equal(p.Value, watchedSet[p.Key]));
            output.WriteLine($"final: {present.Count} keys, {acked.Count} acknowledged, {watched.Count} watched, revision {finalRevision}");
        }
    }
}
