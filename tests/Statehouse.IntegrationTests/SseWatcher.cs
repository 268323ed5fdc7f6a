using System.Globalization;
using System.Text.Json;

namespace Statehouse.IntegrationTests;

/// <summary>Reads a Statehouse SSE watch, recording (revision, type, key) for every change, until cancelled or the stream ends.</summary>
public static class SseWatcher
{
    public static async Task RunAsync(HttpClient http, string url, Action<long, string, string> onEvent, Action<long>? onProgress, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        string? evt = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                evt = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var data = JsonDocument.Parse(line[6..]).RootElement;
                if (evt == "change")
                {
                    var revision = data.GetProperty("revision").GetInt64();
                    foreach (var e in data.GetProperty("events").EnumerateArray())
                    {
                        onEvent(revision, e.GetProperty("type").GetString()!, e.GetProperty("kv").GetProperty("key").GetString()!);
                    }
                }
                else if (evt == "progress")
                {
                    onProgress?.Invoke(data.GetProperty("revision").GetInt64());
                }
                else if (evt == "error")
                {
                    throw new InvalidOperationException("watch error: " + line);
                }
            }
        }
    }

    public static string Url(string keyspace, string prefix, long fromRevision) =>
        $"/v1/watch/{keyspace}?prefix={Uri.EscapeDataString(prefix)}&fromRevision={fromRevision.ToString(CultureInfo.InvariantCulture)}&progressMs=200";
}
