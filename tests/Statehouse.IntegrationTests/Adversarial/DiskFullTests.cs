using Xunit.Abstractions;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Statehouse.IntegrationTests.Adversarial;

/// <summary>
/// Disk full on a small tmpfs (needs root for <c>mount</c>): writes fail cleanly (503 problem+json), nothing
/// acknowledged is lost, reads go on, and once space is freed the node (restarted: it stops taking writes after a failed
/// write, see docs/operations.md) serves every acknowledged write and takes new ones.
/// </summary>
[Collection(AdversarialCollection.Name)]
public sealed class DiskFullTests(ITestOutputHelper output)
{
    /// <summary>Room for the 64 MiB preallocated WAL segment, a ballast, and the node's other files.</summary>
    private const int TmpfsMegabytes = 160;

    private static int Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        process.WaitForExit(10_000);
        return process.ExitCode;
    }

    private static long FreeBytes(string path) => new DriveInfo(path).AvailableFreeSpace;

    [Fact]
    public async Task Writes_FailCleanlyAndNothingAcknowledgedIsLost_WhenTheDiskIsFull()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            output.WriteLine($"SKIPPED: the disk-full probe mounts a small tmpfs and needs root on Linux (running as {Environment.UserName} on {Environment.OSVersion}).");
            return;
        }

        var mount = Path.Combine(Path.GetTempPath(), "statehouse-full-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(mount);
        if (Run("mount", "-t", "tmpfs", "-o", $"size={TmpfsMegabytes}m", "tmpfs", mount) != 0)
        {
            output.WriteLine($"SKIPPED: mount -t tmpfs failed (no CAP_SYS_ADMIN in this container?) for {mount}.");
            Directory.Delete(mount);
            return;
        }

        try
        {
            await RunAsync(Path.Combine(mount, "data"), Path.Combine(mount, "ballast"));
        }
        finally
        {
            Run("umount", "-l", mount);
            Directory.Delete(mount, recursive: true);
        }
    }

    private async Task RunAsync(string data, string ballast)
    {
        var acknowledged = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var server = new ServerProcess(data);
        try
        {
            await server.StartAsync();
            using var http = new HttpClient { BaseAddress = server.HttpUri, Timeout = TimeSpan.FromSeconds(20) };

            // 1. Fill the file system but for 2 MiB: only the WAL's preallocated segment has room left.
            await using (var file = File.Create(ballast))
            {
                var block = new byte[1 << 20];
                while (FreeBytes(data) > 2L << 20)
                {
                    file.Write(block, 0, (int)Math.Min(block.Length, FreeBytes(data) - (2L << 20)));
                }

                file.Flush(flushToDisk: true);
            }

            output.WriteLine($"free after ballast: {FreeBytes(data) >> 10} KiB");

            // 2. Write ~900 KiB values until the node refuses (bounded: 200 writes, 60 s).
            HttpResponseMessage? refused = null;
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 200 && clock.Elapsed < TimeSpan.FromSeconds(60); i++)
            {
                var key = $"full/{i}";
                var value = Encoding.ASCII.GetBytes(new string((char)('a' + (i % 26)), 900 * 1024));
                var response = await http.PutAsync($"/v1/kv/default/{key}", new ByteArrayContent(value));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    refused = response;
                    break;
                }

                acknowledged[key] = value;
                response.Dispose();
            }

            Assert.NotNull(refused);
            var body = await refused.Content.ReadAsStringAsync();
            output.WriteLine($"refused after {acknowledged.Count} acknowledged writes: {(int)refused.StatusCode} {body}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal("Unavailable", JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
            refused.Dispose();
            Assert.True(acknowledged.Count > 10, "the node refused writes before the disk filled");

            // 3. Still full: writes keep failing cleanly, health says so, reads of acknowledged writes go on.
            using (var again = await http.PutAsync("/v1/kv/default/full/again", new StringContent("x")))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
            }

            using (var health = await http.GetAsync("/healthz"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            }

            await VerifyAsync(http, acknowledged);
        }
        finally
        {
            server.Kill();
        }

        // 4. Free the space and restart on the same data: every acknowledged write is there, new writes are taken.
        File.Delete(ballast);
        await using var restarted = new ServerProcess(data);
        await restarted.StartAsync();
        using (var http = new HttpClient { BaseAddress = restarted.HttpUri, Timeout = TimeSpan.FromSeconds(20) })
        {
            await VerifyAsync(http, acknowledged);
            using var put = await http.PutAsync("/v1/kv/default/full/after", new StringContent("recovered"));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            Assert.Equal("recovered", await http.GetStringAsync("/v1/kv/default/full/after"));
        }

        await server.DisposeAsync();
    }

    private static async Task VerifyAsync(HttpClient http, Dictionary<string, byte[]> acknowledged)
    {
        foreach (var (key, value) in acknowledged)
        {
            using var get = await http.GetAsync($"/v1/kv/default/{key}");
            Assert.True(get.StatusCode == HttpStatusCode.OK, $"acknowledged {key} reads {(int)get.StatusCode}");
            Assert.Equal(value, await get.Content.ReadAsByteArrayAsync());
        }
    }
}
