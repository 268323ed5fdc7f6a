using System.Globalization;
using System.Text.Json;
using Statehouse.Checking;
using Statehouse.Chaos.Runner;

namespace Statehouse.Chaos.Workloads;

/// <summary>One server-sent-events message of a watch: the changes of one revision, or progress up to a revision.</summary>
internal sealed record WatchMessage(bool Progress, long Revision, IReadOnlyList<ChangeEvent> Events);

/// <summary>
/// A plain reader of the HTTP watch stream (<c>GET /v1/watch/{ks}</c>): parses id / event / data lines, and gives up
/// when the node goes quiet for longer than the stall limit (a paused or cut-off node keeps the socket open).
/// </summary>
internal static class SseWatch
{
    public const int ProgressMs = 300;

    private static readonly TimeSpan ReplayAttemptTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan Stall = TimeSpan.FromMilliseconds(ProgressMs * 6);

    /// <summary>
    /// Streams messages from <paramref name="fromRevision"/> until <paramref name="onMessage"/> returns false, the stream
    /// ends, the node stalls or <paramref name="cancellationToken"/> fires. Returns how it ended (null = asked to stop).
    /// </summary>
    public static async Task<string?> StreamAsync(HttpClient http, NodeProcesses nodes, int node, string prefix, long fromRevision, Func<WatchMessage, bool> onMessage, CancellationToken cancellationToken)
    {
        var url = nodes.Url(node, $"/v1/watch/default?prefix={Uri.EscapeDataString(prefix)}&fromRevision={fromRevision}&progressMs={ProgressMs}");
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(Stall);
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return $"HTTP {(int)response.StatusCode}";
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false));
            string? kind = null;
            string? data = null;
            while (true)
            {
                var line = await reader.ReadLineAsync(stall.Token).ConfigureAwait(false);
                if (line is null)
                {
                    return "stream ended";
                }

                if (line.Length == 0)
                {
                    if (kind == "error")
                    {
                        return "error: " + data;
                    }

                    if (kind is "change" or "progress" && data is not null)
                    {
                        stall.CancelAfter(Stall);
                        if (!onMessage(Parse(kind, data)))
                        {
                            return null;
                        }
                    }

                    kind = null;
                    data = null;
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    kind = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line[6..];
                }
            }
        }
        catch (Exception ex) when (Outcomes.IsTransport(ex))
        {
            return cancellationToken.IsCancellationRequested ? null : "transport: " + ex.GetType().Name;
        }
    }

    private static WatchMessage Parse(string kind, string data)
    {
        var json = JsonDocument.Parse(data).RootElement;
        var revision = json.GetProperty("revision").GetInt64();
        if (kind == "progress")
        {
            return new WatchMessage(true, revision, []);
        }

        var events = new List<ChangeEvent>();
        foreach (var e in json.GetProperty("events").EnumerateArray())
        {
            var kv = e.GetProperty("kv");
            var value = e.GetProperty("type").GetString() == "put" ? kv.GetProperty("value").GetString() : null;
            events.Add(new ChangeEvent(revision, kv.GetProperty("key").GetString()!, value));
        }

        return new WatchMessage(false, revision, events);
    }

    /// <summary>
    /// The changes the store committed under a prefix in [from, through], read after the run from whichever node
    /// answers (the reference the watchers and the clients' acknowledgements are checked against).
    /// </summary>
    public static async Task<List<ChangeEvent>> ReplayAsync(NodeProcesses nodes, string prefix, long fromRevision, long throughRevision, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        string? last = null;
        for (var attempt = 0; attempt < 3 * nodes.Count; attempt++)
        {
            var changes = new List<ChangeEvent>();
            var reached = false;

            // A replica that is behind (or no longer a member) reports progress forever without reaching the end:
            // give each attempt a deadline and try the next node.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(ReplayAttemptTimeout);
            last = await StreamAsync(http, nodes, attempt % nodes.Count, prefix, fromRevision, m =>
            {
                if (!m.Progress)
                {
                    changes.AddRange(m.Events.Where(e => e.Revision <= throughRevision));
                }

                reached = m.Revision >= throughRevision;
                return !reached;
            }, deadline.Token).ConfigureAwait(false) ?? (reached ? null : $"node {NodeProcesses.Id(attempt % nodes.Count)} did not reach revision {throughRevision} within {ReplayAttemptTimeout.TotalSeconds:F0} s");
            if (reached)
            {
                return changes;
            }
        }

        throw new InvalidOperationException($"Could not replay '{prefix}' from revision {fromRevision.ToString(CultureInfo.InvariantCulture)} through {throughRevision.ToString(CultureInfo.InvariantCulture)}: {last}");
    }
}
