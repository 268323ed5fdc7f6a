using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Statehouse.Checking;

namespace Statehouse.IntegrationTests.Cluster;

/// <summary>Three real node processes on loopback: routing, read consistency, leader crashes, pauses and partitions.</summary>
[Collection("cluster")]
public sealed class ClusterTests
{
    private static readonly TimeSpan RunFor = TimeSpan.FromSeconds(
        double.Parse(Environment.GetEnvironmentVariable("STATEHOUSE_CLUSTER_SECONDS") ?? "4", CultureInfo.InvariantCulture));

    [Fact]
    public async Task AnyNodeServesWrites_ReadsPerConsistency_AndReportsTheLeader()
    {
        await using var cluster = new ClusterProcesses(3);
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var follower = (leader + 1) % 3;

        using var put = await cluster.Http.PutAsync(cluster.Url(follower, "/v1/kv/default/cart:1"), new StringContent("apples"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var token = put.Headers.GetValues("Statehouse-Session").Single();

        foreach (var node in Enumerable.Range(0, 3))
        {
            foreach (var consistency in new[] { "linearizable", "session", "bounded", "eventual" })
            {
                var request = new HttpRequestMessage(HttpMethod.Get, cluster.Url(node, $"/v1/kv/default/cart:1?consistency={consistency}"));
                request.Headers.Add("Statehouse-Session", token);
                using var get = await cluster.Http.SendAsync(request);
                if (consistency is "eventual" && get.StatusCode == HttpStatusCode.NotFound)
                {
                    continue; // may lag, by definition
                }

                Assert.Equal(HttpStatusCode.OK, get.StatusCode);
                Assert.Equal("apples", await get.Content.ReadAsStringAsync());
                Assert.Equal($"n{node + 1}", get.Headers.GetValues("X-Statehouse-Node").Single());
                Assert.Equal($"n{leader + 1}", get.Headers.GetValues("X-Statehouse-Leader").Single());
            }
        }

        using var bad = await cluster.Http.GetAsync(cluster.Url(follower, "/v1/kv/default/cart:1?consistency=sometimes"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var negative = await cluster.Http.GetAsync(cluster.Url(follower, "/v1/kv/default/cart:1?consistency=bounded&maxStalenessMs=-1"));
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        var badToken = new HttpRequestMessage(HttpMethod.Get, cluster.Url(follower, "/v1/kv/default/cart:1?consistency=session"));
        badToken.Headers.Add("Statehouse-Session", "not-a-revision");
        using (var badSession = await cluster.Http.SendAsync(badToken))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badSession.StatusCode);
        }

        var members = await cluster.Http.GetFromJsonAsync<JsonElement>(cluster.Url(follower, "/v1/cluster"));
        Assert.Equal($"n{leader + 1}", members.GetProperty("leader").GetString());
        Assert.Equal(3, members.GetProperty("members").GetArrayLength());
        Assert.All(members.GetProperty("members").EnumerateArray(), m => Assert.True(m.GetProperty("available").GetBoolean()));
        await cluster.WaitConvergedAsync();
    }

    [Fact]
    public async Task LeaderKilled_WritesResume_NoAcknowledgedWriteLost_HistoryChecks_AndReplicasConverge()
    {
        await using var cluster = new ClusterProcesses(3);
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var history = new RegisterHistory();
        var acked = new ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();
        var down = new ConcurrentDictionary<int, bool>();
        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(() => Workload(cluster, w, history, acked, down, stop.Token))).ToList();

        await Task.Delay(RunFor);
        down[leader] = true;
        cluster.Nodes[leader].Kill();
        var newLeader = await cluster.WaitForLeaderAsync(Enumerable.Range(0, 3).Where(i => i != leader));
        Assert.NotEqual(leader, newLeader);
        var ackedBefore = acked.Count;
        await Task.Delay(RunFor);
        Assert.True(acked.Count > ackedBefore, "writes resumed after the leader was killed");

        await cluster.Nodes[leader].StartAsync();
        down.TryRemove(leader, out _);
        await Task.Delay(RunFor / 2);
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        await cluster.WaitConvergedAsync();
        await AssertAllPresentAsync(cluster, acked);
        Assert.Empty(history.Check());
        Assert.True(history.Count > 100, $"history has {history.Count} operations");
        var full = history.CheckLinearizable();
        Assert.True(full.Verdict == Verdict.Linearizable, $"linearizability: {full.Verdict} on key {full.Key} after {full.StatesExplored} steps");
    }

    [Fact]
    public async Task LeaderPaused_ANewLeaderServes_TheOldOneRejoinsAsFollower()
    {
        await using var cluster = new ClusterProcesses(3);
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        using (var first = await cluster.Http.PutAsync(cluster.Url(leader, "/v1/kv/default/before"), new StringContent("1")))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        cluster.Nodes[leader].Signal("STOP");
        try
        {
            var others = Enumerable.Range(0, 3).Where(i => i != leader).ToList();
            var next = await cluster.WaitForLeaderAsync(others);
            using var put = await cluster.Http.PutAsync(cluster.Url(others.First(i => i != next), "/v1/kv/default/during"), new StringContent("2"));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        finally
        {
            cluster.Nodes[leader].Signal("CONT");
        }

        await cluster.WaitConvergedAsync();
        var status = await cluster.StatusAsync(leader);
        Assert.False(status.GetProperty("isLeader").GetBoolean());
        using var read = await cluster.Http.GetAsync(cluster.Url(leader, "/v1/kv/default/during"));
        Assert.Equal("2", await read.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MinorityPartition_NeitherCommitsNorServesLinearizableReads_AndHealsToOneState()
    {
        Assert.True(ClusterProcesses.CanPartition, "the partition test needs root, iptables and setpriv (scripts/test.sh installs iptables)");
        await using var cluster = new ClusterProcesses(3, partitionable: true);
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var majority = Enumerable.Range(0, 3).Where(i => i != leader).ToList();
        var history = new RegisterHistory();
        var acked = new ConcurrentDictionary<string, string>();
        using var stop = new CancellationTokenSource();
        var down = new ConcurrentDictionary<int, bool>();
        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(() => Workload(cluster, w, history, acked, down, stop.Token))).ToList();
        await Task.Delay(RunFor / 2);

        // Cut the leader off: it is the minority.
        cluster.Partition([leader], majority);
        var next = await cluster.WaitForLeaderAsync(majority);

        // The old leader can neither commit a write nor answer a linearizable read.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        using (var write = await http.PutAsync(cluster.Url(leader, "/v1/kv/default/minority"), new StringContent("lost")))
        {
            Assert.False(write.IsSuccessStatusCode, "the minority acknowledged a write");
        }

        using (var read = await http.GetAsync(cluster.Url(leader, "/v1/kv/default/minority")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
        }

        // The majority goes on.
        using (var put = await http.PutAsync(cluster.Url(next, "/v1/kv/default/majority"), new StringContent("kept")))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        await Task.Delay(RunFor / 2);
        cluster.Heal();
        await Task.Delay(RunFor / 2);
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        await cluster.WaitConvergedAsync();
        await AssertAllPresentAsync(cluster, acked);
        Assert.Empty(history.Check());
        var full = history.CheckLinearizable();
        Assert.True(full.Verdict == Verdict.Linearizable, $"linearizability: {full.Verdict} on key {full.Key} after {full.StatesExplored} steps");
        using var gone = await http.GetAsync(cluster.Url(next, "/v1/kv/default/minority"));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task WatchOnAFollower_DeliversAcrossALeaderKill_AndResumesOnAnotherNode_NoGapNoDuplicate()
    {
        await using var cluster = new ClusterProcesses(3);
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var followers = Enumerable.Range(0, 3).Where(i => i != leader).ToList();
        var seen = new List<(long Revision, string Key)>();
        using var watchHttp = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var watchStop = new CancellationTokenSource();
        var watch = Task.Run(async () =>
        {
            try
            {
                await SseWatcher.RunAsync(watchHttp, new Uri(cluster.Nodes[followers[0]].HttpUri, SseWatcher.Url("default", "w/", 1)).ToString(),
                    (rev, type, key) =>
                    {
                        lock (seen)
                        {
                            seen.Add((rev, key));
                        }
                    }, null, watchStop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        });

        int SeenCount()
        {
            lock (seen)
            {
                return seen.Count;
            }
        }

        var acked = new Dictionary<string, long>();
        async Task WriteAsync(int i, int node)
        {
            for (var attempt = 0; attempt < 20; attempt++)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Put, cluster.Url(node, $"/v1/kv/default/w/{i:D4}")) { Content = new StringContent("v") };
                    request.Headers.Add("Idempotency-Key", $"watch-{i}");
                    using var response = await cluster.Http.SendAsync(request);
                    if (response.IsSuccessStatusCode)
                    {
                        acked[$"w/{i:D4}"] = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revision").GetInt64();
                        return;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                }

                await Task.Delay(100);
            }

            throw new InvalidOperationException($"write {i} never succeeded");
        }

        for (var i = 0; i < 100; i++)
        {
            await WriteAsync(i, followers[1]);
        }

        cluster.Nodes[leader].Kill();
        for (var i = 100; i < 200; i++)
        {
            await WriteAsync(i, followers[1]);
        }

        // Let the follower's watch catch up, then move the watch to the other follower from the next revision.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && SeenCount() < 100)
        {
            await Task.Delay(50);
        }

        await watchStop.CancelAsync();
        await watch;
        long last;
        lock (seen)
        {
            last = seen.Count == 0 ? 0 : seen[^1].Revision;
        }

        using var resumeStop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await SseWatcher.RunAsync(watchHttp, new Uri(cluster.Nodes[followers[1]].HttpUri, SseWatcher.Url("default", "w/", last + 1)).ToString(),
                (rev, type, key) =>
                {
                    lock (seen)
                    {
                        seen.Add((rev, key));
                    }

                    if (SeenCount() >= 200)
                    {
                        resumeStop.Cancel();
                    }
                }, null, resumeStop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        Assert.Equal(seen.Count, seen.Select(e => e.Revision).Distinct().Count());
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.Revision < p.Second.Revision), "events in revision order");
        foreach (var (key, revision) in acked)
        {
            Assert.Contains((revision, key), seen);
        }
    }

    [Fact]
    public async Task Membership_JoinCatchesUp_RemoveTellsTheNode_ReplaceADeadMember()
    {
        await using var cluster = new ClusterProcesses(3);
        await cluster.StartAllAsync();
        await cluster.WaitForLeaderAsync();
        for (var i = 0; i < 50; i++)
        {
            using var put = await cluster.Http.PutAsync(cluster.Url(i % 3, $"/v1/kv/default/m{i}"), new StringContent($"v{i}"));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        // Join: a fourth node asks n1 to add it, catches up, and then counts.
        var fourth = await cluster.JoinAsync(via: 0);
        await WaitUntilAsync(async () => (await cluster.MembersAsync(1)).Count(m => m.Available) == 4, "four available members");
        await cluster.WaitConvergedAsync();
        using (var read = await cluster.Http.GetAsync(cluster.Url(fourth, "/v1/kv/default/m49")))
        {
            Assert.Equal("v49", await read.Content.ReadAsStringAsync());
        }

        // Remove it through a follower's API (forwarded to the leader); the removed node is told and stops serving.
        var leader = await cluster.WaitForLeaderAsync();
        var follower = Enumerable.Range(0, 3).First(i => i != leader);
        using (var remove = await cluster.Http.DeleteAsync(cluster.Url(follower, "/v1/cluster/members/n4")))
        {
            Assert.Equal(HttpStatusCode.OK, remove.StatusCode);
        }

        await WaitUntilAsync(async () => (await cluster.MembersAsync(leader)).Count == 3, "three members after the removal");
        await WaitUntilAsync(async () =>
        {
            using var health = await cluster.Http.GetAsync(cluster.Url(fourth, "/healthz"));
            return health.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, "the removed node reports itself unhealthy");

        // Replace a dead member: kill a follower, remove it, join a fresh node; the cluster keeps three voters.
        var victim = Enumerable.Range(0, 3).First(i => i != leader);
        var victimId = $"n{victim + 1}";
        cluster.Nodes[victim].Kill();
        using (var remove = await cluster.Http.DeleteAsync(cluster.Url(leader, $"/v1/cluster/members/{victimId}")))
        {
            Assert.Equal(HttpStatusCode.OK, remove.StatusCode);
        }

        var replacement = await cluster.JoinAsync(via: leader);
        var live = Enumerable.Range(0, 3).Where(i => i != victim).Append(replacement).ToList();
        await WaitUntilAsync(async () => (await cluster.MembersAsync(leader)).Count(m => m.Available) == 3, "three available members after the replacement");
        using (var put = await cluster.Http.PutAsync(cluster.Url(replacement, "/v1/kv/default/after"), new StringContent("replaced")))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        await cluster.WaitConvergedAsync(live);
        var ids = (await cluster.MembersAsync(leader)).Select(m => m.Id).Order().ToList();
        Assert.DoesNotContain(victimId, ids);
        Assert.DoesNotContain("n4", ids);
        Assert.Contains($"n{replacement + 1}", ids);
    }

    [Fact]
    public async Task Leases_SurviveALeaderKill_WhileKeptAlive_AndExpireOnceTheyAreNot()
    {
        await using var cluster = new ClusterProcesses(3);
        await cluster.StartAllAsync();
        var leader = await cluster.WaitForLeaderAsync();
        var followers = Enumerable.Range(0, 3).Where(i => i != leader).ToList();

        // A 3 s lease, granted through a follower, with a key attached.
        using var grant = await cluster.Http.PostAsync(cluster.Url(followers[0], "/v1/leases?ttl=3"), null);
        Assert.Equal(HttpStatusCode.Created, grant.StatusCode);
        var id = (await grant.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        using (var put = await cluster.Http.PutAsync(cluster.Url(followers[0], $"/v1/kv/default/lock?lease={id}"), new StringContent("owner")))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        // Kept alive every second through the followers while the leader dies: the lease must not expire.
        cluster.Nodes[leader].Kill();
        var until = DateTime.UtcNow.AddSeconds(8);
        while (DateTime.UtcNow < until)
        {
            foreach (var f in followers)
            {
                try
                {
                    using var keep = await cluster.Http.PostAsync(cluster.Url(f, $"/v1/leases/{id}/keepalive"), null);
                    if (keep.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                }
            }

            await Task.Delay(1000);
        }

        using (var held = await cluster.Http.GetAsync(cluster.Url(followers[1], "/v1/kv/default/lock")))
        {
            Assert.Equal(HttpStatusCode.OK, held.StatusCode);
        }

        // No more keep-alives: it expires (full TTL from the last keep-alive), on every replica.
        await WaitUntilAsync(async () =>
        {
            using var gone = await cluster.Http.GetAsync(cluster.Url(followers[1], "/v1/kv/default/lock"));
            return gone.StatusCode == HttpStatusCode.NotFound;
        }, "the lease to expire", seconds: 15);
        await cluster.WaitConvergedAsync(followers);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("Timed out waiting for " + what);
    }

    /// <summary>A client: puts (unique values, idempotency keys), compare-and-sets and linearizable gets on a few keys, on random nodes.</summary>
    private static async Task Workload(ClusterProcesses cluster, int worker, RegisterHistory history, ConcurrentDictionary<string, string> acked,
        ConcurrentDictionary<int, bool> down, CancellationToken stop)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var random = new Random(worker);
        var sequence = 0;
        var lastSeen = new Dictionary<string, long>();
        var lastValue = new Dictionary<string, string?>();
        KvOperation? pending = null;
        while (!stop.IsCancellationRequested)
        {
            var node = random.Next(cluster.Nodes.Count);
            if (down.ContainsKey(node))
            {
                continue;
            }

            var key = $"reg{random.Next(4)}";
            var start = RegisterHistory.Now;
            try
            {
                var op = random.Next(3);
                if (op == 2 && lastSeen.TryGetValue(key, out var expected))
                {
                    // Compare-and-set against the revision this client last saw.
                    var value = $"c{worker}-{sequence++}";
                    using var request = new HttpRequestMessage(HttpMethod.Put, cluster.Url(node, $"/v1/kv/default/{key}")) { Content = new StringContent(value) };
                    request.Headers.Add("Idempotency-Key", $"it-{worker}-{value}");
                    request.Headers.TryAddWithoutValidation("If-Match", $"\"{expected}\"");
                    var expectedValue = lastValue.GetValueOrDefault(key);
                    pending = new KvOperation(worker, key, OpKind.CompareAndSet, value, expectedValue, start, 0, Unknown: true);
                    using var response = await http.SendAsync(request, CancellationToken.None);
                    if (response.IsSuccessStatusCode)
                    {
                        var revision = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revision").GetInt64();
                        history.Add(new RegisterOp(key, true, value, revision, start, RegisterHistory.Now) { Expected = expected });
                        history.Record(pending with { Returned = RegisterHistory.Now, Unknown = false, Succeeded = true });
                        acked[$"{key}@{revision}"] = value;
                        lastSeen[key] = revision;
                        lastValue[key] = value;
                    }
                    else if (response.StatusCode == HttpStatusCode.PreconditionFailed)
                    {
                        // The revision moved: with unique values per write, a revision mismatch is a value mismatch.
                        history.Record(pending with { Returned = RegisterHistory.Now, Unknown = false, Succeeded = false });
                        lastSeen.Remove(key);
                    }
                    else
                    {
                        history.Record(pending);
                    }

                    pending = null;
                }
                else if (op != 1)
                {
                    var value = $"w{worker}-{sequence++}";
                    using var request = new HttpRequestMessage(HttpMethod.Put, cluster.Url(node, $"/v1/kv/default/{key}")) { Content = new StringContent(value) };
                    request.Headers.Add("Idempotency-Key", $"it-{worker}-{value}");
                    pending = new KvOperation(worker, key, OpKind.Write, value, null, start, 0, Unknown: true);
                    using var response = await http.SendAsync(request, CancellationToken.None);
                    if (response.IsSuccessStatusCode)
                    {
                        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
                        history.Add(new RegisterOp(key, true, value, body.GetProperty("revision").GetInt64(), start, RegisterHistory.Now));
                        history.Record(pending with { Returned = RegisterHistory.Now, Unknown = false });
                        acked[$"{key}@{body.GetProperty("revision").GetInt64()}"] = value;
                    }
                    else
                    {
                        // A failed write may still have applied (e.g. a timeout inside the cluster): outcome unknown.
                        history.Record(pending);
                    }

                    pending = null;
                }
                else
                {
                    using var response = await http.GetAsync(cluster.Url(node, $"/v1/kv/default/{key}"), CancellationToken.None);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        var mod = long.Parse(response.Headers.GetValues("X-Statehouse-Mod-Revision").Single(), CultureInfo.InvariantCulture);
                        var text = await response.Content.ReadAsStringAsync();
                        var end = RegisterHistory.Now;
                        history.Add(new RegisterOp(key, false, text, mod, start, end));
                        history.Record(new KvOperation(worker, key, OpKind.Read, null, null, start, end, false, ReadValue: text));
                        lastSeen[key] = mod;
                        lastValue[key] = text;
                    }
                    else if (response.StatusCode == HttpStatusCode.NotFound)
                    {
                        var end = RegisterHistory.Now;
                        history.Add(new RegisterOp(key, false, null, 0, start, end));
                        history.Record(new KvOperation(worker, key, OpKind.Read, null, null, start, end, false, ReadValue: null));
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Outcome unknown: a write may still have applied (the full check lets it take effect or not);
                // a read without an answer says nothing.
                if (pending is not null)
                {
                    history.Record(pending);
                    pending = null;
                }

                await Task.Delay(20, CancellationToken.None);
            }
        }
    }

    /// <summary>Every acknowledged write is in the history of its key on every node (watch from revision 1 is not needed:
    /// the per-key revision of the last write must be at least the acknowledged one, and the value history is checked by
    /// <see cref="RegisterHistory"/>); also the set of keys agrees.</summary>
    private static async Task AssertAllPresentAsync(ClusterProcesses cluster, ConcurrentDictionary<string, string> acked)
    {
        var highest = acked.Keys.Select(k => k.Split('@')).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Max(p => long.Parse(p[1], CultureInfo.InvariantCulture)));
        for (var node = 0; node < cluster.Nodes.Count; node++)
        {
            foreach (var (key, revision) in highest)
            {
                using var response = await cluster.Http.GetAsync(cluster.Url(node, $"/v1/kv/default/{key}?consistency=eventual"));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var mod = long.Parse(response.Headers.GetValues("X-Statehouse-Mod-Revision").Single(), CultureInfo.InvariantCulture);
                Assert.True(mod >= revision, $"n{node + 1}: {key} is at revision {mod}, below the acknowledged {revision}");
            }

            // Each acknowledged (key, revision) is still readable at its revision: nothing acknowledged was rolled back.
            foreach (var entry in acked.Keys.Take(200))
            {
                var parts = entry.Split('@');
                using var at = await cluster.Http.GetAsync(cluster.Url(node, $"/v1/kv/default/{parts[0]}?consistency=eventual&revision={parts[1]}"));
                if (at.StatusCode == HttpStatusCode.OK)
                {
                    Assert.Equal(acked[entry], await at.Content.ReadAsStringAsync());
                }
                else
                {
                    // Compacted history is the only acceptable reason not to have it.
                    Assert.Equal(HttpStatusCode.Gone, at.StatusCode);
                }
            }
        }
    }
}
