using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Statehouse.IntegrationTests.Adversarial;

/// <summary>
/// Every write a node acknowledged (200 with a revision), and a check that each still reads back: a probe may be
/// refused, but it must never cost an acknowledged write.
/// </summary>
public sealed class AcknowledgedWrites(HttpClient http)
{
    private readonly ConcurrentDictionary<string, (string Value, long Revision)> _acknowledged = new(StringComparer.Ordinal);

    public int Count => _acknowledged.Count;

    /// <summary>Puts a fresh key and records it once acknowledged; returns its revision.</summary>
    public async Task<long> PutAsync(string prefix, HttpClient? client = null)
    {
        var key = $"ack/{prefix}/{Guid.NewGuid():N}";
        var value = "v-" + Guid.NewGuid().ToString("N");
        using var response = await (client ?? http).PutAsync($"/v1/kv/default/{key}", new StringContent(value, Encoding.UTF8));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var revision = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("revision").GetInt64();
        _acknowledged[key] = (value, revision);
        return revision;
    }

    /// <summary>Records a write acknowledged by other means (e.g. a raw socket).</summary>
    public void Record(string key, string value, long revision) => _acknowledged[key] = (value, revision);

    /// <summary>Asserts every acknowledged key reads back with its value and mod revision.</summary>
    public async Task VerifyAsync(HttpClient? client = null)
    {
        foreach (var (key, (value, revision)) in _acknowledged)
        {
            using var response = await (client ?? http).GetAsync($"/v1/kv/default/{key}");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"acknowledged key {key} (revision {revision}) reads {(int)response.StatusCode}");
            Assert.Equal(value, await response.Content.ReadAsStringAsync());
            Assert.Equal($"\"{revision}\"", response.Headers.ETag?.Tag);
        }
    }
}
