using System.Buffers.Binary;
using System.Net;
using Xunit.Abstractions;

namespace Statehouse.IntegrationTests;

/// <summary>
/// The WAL fault matrix (issue 11, item 3): with the node stopped, damage its files one way at a time, restart a real
/// <c>statehouse serve</c>, and require that it either starts with every acknowledged write present or exits
/// non-zero with a message naming the damage — never a node that starts with fewer keys.
/// </summary>
/// <remarks>
/// One data folder is written once per stop mode (graceful SIGTERM; SIGKILL after writes were quiet for longer than
/// the high-water checkpoint interval) and copied per case. The folder has two snapshots, a log truncated through
/// the older one, and several small segments after the newer one.
/// </remarks>
public sealed class WalFaultMatrixTests(ITestOutputHelper output)
{
    private const int SegmentBytes = 2048;
    private const string Prefix = "matrix/";

    /// <summary>What a case may end with.</summary>
    private enum Expect
    {
        /// <summary>Starts with every acknowledged key.</summary>
        Starts,

        /// <summary>Refuses to start (exit code 20) with a message naming the damage.</summary>
        Refuses,

        /// <summary>Either outcome is correct (e.g. only preallocated zeros were cut).</summary>
        Either,
    }

    private sealed record FaultCase(string Name, Expect Expect, Func<string, string?> Damage);

    [Fact]
    public async Task Restart_HasEveryAcknowledgedWriteOrRefuses_ForEveryDamageToWalAndSnapshots_AfterGracefulStop()
    {
        var template = await WriteTemplateAsync(kill: false);
        try
        {
            var cases = new List<FaultCase>
            {
                new("no damage", Expect.Starts, _ => null),
                new("delete the newest segment", Expect.Refuses, d => Delete(Segments(d)[^1])),
                new("delete a middle segment", Expect.Refuses, d => Delete(Segments(d)[Segments(d).Length / 2])),
                // Its records (49..72) are all in the newest snapshot (120): nothing acknowledged is gone.
                new("delete the first segment (covered by the newest snapshot)", Expect.Starts, d => Delete(Segments(d)[0])),
                new("delete the first segment and the newest snapshot", Expect.Refuses, d => { Delete(Snapshots(d)[^1]); return Delete(Segments(d)[0]); }),
                new("truncate the newest segment to 0 bytes", Expect.Refuses, d => Truncate(Segments(d)[^1], 0)),
                new("truncate the newest segment file by 1 byte (preallocated zeros)", Expect.Either, d => CutFileEnd(Segments(d)[^1], 1)),
                new("flip a bit in a sealed segment", Expect.Refuses, d => FlipInFrame(Segments(d)[0], fromEnd: 3)),
                new("delete the newest snapshot", Expect.Starts, d => Delete(Snapshots(d)[^1])),
                new("delete the older snapshot", Expect.Starts, d => Delete(Snapshots(d)[0])),
                new("delete both snapshots", Expect.Refuses, d => { Delete(Snapshots(d)[1]); return Delete(Snapshots(d)[0]); }),
                new("corrupt the newest snapshot", Expect.Starts, d => FlipByte(Snapshots(d)[^1], 40)),
                new("corrupt the older snapshot", Expect.Starts, d => FlipByte(Snapshots(d)[0], 40)),
                new("corrupt both snapshots", Expect.Refuses, d => { FlipByte(Snapshots(d)[1], 40); return FlipByte(Snapshots(d)[0], 40); }),
                new("delete the WAL manifest (as a folder from an older version)", Expect.Starts, d => Delete(Path.Combine(d, "wal", "wal.manifest"))),
                new("corrupt both WAL manifest slots", Expect.Refuses, d => { FlipByte(Path.Combine(d, "wal", "wal.manifest"), 20); return FlipByte(Path.Combine(d, "wal", "wal.manifest"), 4096 + 20); }),
            };
            foreach (int bytes in new[] { 1, 8, 24, 25, 200 })
            {
                cases.Add(new($"cut the last {bytes} bytes of the newest segment's data", Expect.Refuses, d => CutDataEnd(Segments(d)[^1], bytes)));
            }

            for (int frame = 1; frame <= 4; frame++)
            {
                int fromEnd = frame;
                cases.Add(new($"flip a bit in frame {fromEnd} from the end of the newest segment", Expect.Refuses, d => FlipInFrame(Segments(d)[^1], fromEnd)));
            }

            await RunCasesAsync(template, cases);
        }
        finally
        {
            Directory.Delete(template.Directory, recursive: true);
        }
    }

    [Fact]
    public async Task Restart_HasEveryAcknowledgedWriteOrRefuses_WhenKilledAfterQuietPeriod()
    {
        var template = await WriteTemplateAsync(kill: true);
        try
        {
            var cases = new List<FaultCase>
            {
                new("no damage", Expect.Starts, _ => null),
                new("delete the newest segment", Expect.Refuses, d => Delete(Segments(d)[^1])),
                new("cut the last byte of the newest segment's data", Expect.Refuses, d => CutDataEnd(Segments(d)[^1], 1)),
                new("flip a bit in the last frame", Expect.Refuses, d => FlipInFrame(Segments(d)[^1], fromEnd: 1)),
                new("delete the newest snapshot", Expect.Starts, d => Delete(Snapshots(d)[^1])),
            };
            await RunCasesAsync(template, cases);
        }
        finally
        {
            Directory.Delete(template.Directory, recursive: true);
        }
    }

    [Fact]
    public async Task Restart_StartsWithWhatIsLeft_WhenOperatorAcceptsWalLoss()
    {
        var template = await WriteTemplateAsync(kill: false);
        var data = CopyTemplate(template.Directory);
        await using var server = new ServerProcess(data, "--wal-segment-bytes", SegmentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), "--accept-wal-loss");
        try
        {
            Delete(Segments(data)[^1]);
            await server.StartAsync();
            using var http = new HttpClient { BaseAddress = server.HttpUri, Timeout = TimeSpan.FromSeconds(5) };
            int present = await CountPresentAsync(http, template.Keys);
            Assert.True(present < template.Keys.Count, $"the override should have started on a shorter log ({present} of {template.Keys.Count})");
            Assert.Contains("DESPITE DATA LOSS", server.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(template.Directory, recursive: true);
        }
    }

    private sealed record Template(string Directory, IReadOnlyList<string> Keys);

    /// <summary>
    /// Writes 60 keys, snapshots, 60 more, snapshots (the log is truncated through the first), 60 more, then stops:
    /// SIGTERM, or (<paramref name="kill"/>) 10 more keys, a quiet second (well over the 20 ms checkpoint interval) and SIGKILL.
    /// </summary>
    private async Task<Template> WriteTemplateAsync(bool kill)
    {
        var directory = Path.Combine(Path.GetTempPath(), "statehouse-matrix-" + Guid.NewGuid().ToString("N")[..12]);
        var keys = new List<string>();
        var server = new ServerProcess(directory, "--wal-segment-bytes", SegmentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await server.StartAsync();
        using (var http = new HttpClient { BaseAddress = server.HttpUri, Timeout = TimeSpan.FromSeconds(10) })
        {
            for (int round = 0; round < 3; round++)
            {
                await PutKeysAsync(http, keys, 60);
                if (round < 2)
                {
                    using var snapshot = await http.PostAsync("/v1/snapshot", null);
                    snapshot.EnsureSuccessStatusCode();
                }
            }

            if (kill)
            {
                await PutKeysAsync(http, keys, 10);
                await Task.Delay(1000);
            }
        }

        if (kill)
        {
            server.Kill();
        }
        else
        {
            await server.StopAsync();
        }

        // Keep the folder: dispose only the process handle (DisposeAsync would delete the folder).
        var kept = CopyTemplate(directory);
        await server.DisposeAsync();

        string[] segments = Segments(kept);
        Assert.True(segments.Length >= 3, $"the template should have several segments, has {segments.Length}");
        Assert.False(segments[0].EndsWith("wal-00000000000000000001.seg", StringComparison.Ordinal), "the log should be truncated through the older snapshot");
        Assert.Equal(2, Snapshots(kept).Length);
        output.WriteLine($"template ({(kill ? "killed" : "stopped")}): {keys.Count} keys, segments {string.Join(", ", segments.Select(Path.GetFileName))}");
        return new Template(kept, keys);
    }

    private async Task RunCasesAsync(Template template, IReadOnlyList<FaultCase> cases)
    {
        var failures = new List<string>();
        foreach (FaultCase fault in cases)
        {
            var data = CopyTemplate(template.Directory);
            string? damaged = fault.Damage(data);
            await using var server = new ServerProcess(data, "--wal-segment-bytes", SegmentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
            string outcome;
            try
            {
                await server.StartAsync(TimeSpan.FromSeconds(60));
                using var http = new HttpClient { BaseAddress = server.HttpUri, Timeout = TimeSpan.FromSeconds(5) };
                int present = await CountPresentAsync(http, template.Keys);
                outcome = $"started with {present}/{template.Keys.Count} keys";
                if (present != template.Keys.Count)
                {
                    failures.Add($"{fault.Name}: SILENT LOSS, {outcome}");
                }
                else if (fault.Expect == Expect.Refuses)
                {
                    failures.Add($"{fault.Name}: expected a refusal, {outcome}");
                }
            }
            catch (InvalidOperationException) when (server.ExitCode is not null || !server.Pid.HasValue)
            {
                int exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(10));
                string message = server.Output.Split('\n').FirstOrDefault(l => l.StartsWith("error: ", StringComparison.Ordinal))?.Trim() ?? "(no error line)";
                outcome = $"refused, exit {exitCode}: {message}";
                bool namesDamage = damaged is null || message.Contains(DamageName(damaged), StringComparison.Ordinal) || NamesDirectoryOf(message, damaged);
                if (fault.Expect == Expect.Starts)
                {
                    failures.Add($"{fault.Name}: expected to start, {outcome}");
                }
                else if (exitCode != 20 || !namesDamage)
                {
                    failures.Add($"{fault.Name}: the refusal must exit 20 and name {DamageName(damaged ?? "")}: {outcome}\n{server.Output}");
                }
            }

            output.WriteLine($"{fault.Name} [{damaged?.Replace(data, "", StringComparison.Ordinal)}]: {outcome}");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>What the message must mention: the damaged file's name (a snapshot's or manifest's folder counts).</summary>
    private static string DamageName(string path) => Path.GetFileName(path);

    private static bool NamesDirectoryOf(string message, string damaged) =>
        (damaged.Contains("snapshots", StringComparison.Ordinal) && message.Contains("snapshot", StringComparison.Ordinal))
        || (damaged.EndsWith("wal.manifest", StringComparison.Ordinal) && message.Contains("manifest", StringComparison.Ordinal));

    private static async Task PutKeysAsync(HttpClient http, List<string> keys, int count)
    {
        for (int i = 0; i < count; i++)
        {
            string key = $"{Prefix}{keys.Count:D4}";
            using var response = await http.PutAsync($"/v1/kv/default/{key}", new StringContent("value-of-" + key));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            keys.Add(key);
        }
    }

    private static async Task<int> CountPresentAsync(HttpClient http, IReadOnlyList<string> keys)
    {
        int present = 0;
        foreach (string key in keys)
        {
            using var response = await http.GetAsync($"/v1/kv/default/{key}");
            if (response.StatusCode == HttpStatusCode.OK && (await response.Content.ReadAsStringAsync()).Contains("value-of-" + key, StringComparison.Ordinal))
            {
                present++;
            }
        }

        return present;
    }

    private static string CopyTemplate(string template)
    {
        var target = Path.Combine(Path.GetTempPath(), "statehouse-matrix-case-" + Guid.NewGuid().ToString("N")[..12]);
        foreach (string file in Directory.GetFiles(template, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file) == ".lock")
            {
                continue;
            }

            string destination = Path.Combine(target, Path.GetRelativePath(template, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        return target;
    }

    private static string[] Segments(string data) => Directory.GetFiles(Path.Combine(data, "wal"), "wal-*.seg").Order(StringComparer.Ordinal).ToArray();

    private static string[] Snapshots(string data) => Directory.GetFiles(Path.Combine(data, "snapshots"), "*.snap").Order(StringComparer.Ordinal).ToArray();

    private static string Delete(string path)
    {
        File.Delete(path);
        return path;
    }

    private static string Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(length);
        return path;
    }

    private static string CutFileEnd(string path, int bytes) => Truncate(path, new FileInfo(path).Length - bytes);

    /// <summary>Cuts <paramref name="bytes"/> off the end of the data (the preallocated zeros after it go too).</summary>
    private static string CutDataEnd(string path, int bytes)
    {
        (long _, long end) = Frames(File.ReadAllBytes(path))[^1];
        return Truncate(path, end - bytes);
    }

    private static string FlipByte(string path, long offset)
    {
        byte[] content = File.ReadAllBytes(path);
        content[offset] ^= 0x04;
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>Flips one bit in the payload of frame <paramref name="fromEnd"/> (1 = the last) of a segment.</summary>
    private static string FlipInFrame(string path, int fromEnd)
    {
        var frames = Frames(File.ReadAllBytes(path));
        Assert.True(frames.Count >= fromEnd, $"{path} holds {frames.Count} frames");
        (long start, long end) = frames[^fromEnd];
        return FlipByte(path, start + 24 + ((end - start - 24) / 2));
    }

    /// <summary>Start and end offsets of the frames of a segment (format in docs/internals/storage.md).</summary>
    private static List<(long Start, long End)> Frames(byte[] segment)
    {
        int offset = BinaryPrimitives.ReadUInt32LittleEndian(segment.AsSpan(8)) == 2 ? 32 : 16;
        var frames = new List<(long, long)>();
        while (offset + 24 <= segment.Length)
        {
            uint payload = BinaryPrimitives.ReadUInt32LittleEndian(segment.AsSpan(offset));
            long index = BinaryPrimitives.ReadInt64LittleEndian(segment.AsSpan(offset + 8));
            if (index == 0)
            {
                break;
            }

            frames.Add((offset, offset + 24 + payload));
            offset += 24 + (int)payload;
        }

        return frames;
    }
}
