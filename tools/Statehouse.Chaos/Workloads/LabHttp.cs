using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Statehouse.Chaos.Runner;

namespace Statehouse.Chaos.Workloads;

/// <summary>What a node answered, or the transport error that stood in for an answer.</summary>
internal sealed record Reply(HttpStatusCode? Status, string Text, long? ModRevision, Exception? Error)
{
    public bool Success => Status is { } s && (int)s is >= 200 and < 300;

    public JsonElement Json => JsonDocument.Parse(Text).RootElement;

    /// <summary>Why it did not succeed, for the history (null on success).</summary>
    public string? ErrorText => Success ? null : Status is { } s ? $"HTTP {(int)s}: {(Text.Length > 160 ? Text[..160] : Text)}" : Error?.Message ?? "no answer";

    /// <summary>The outcome of a write that got this reply (see <see cref="Outcomes.OfFailedWrite"/>).</summary>
    public Outcome WriteOutcome => Success ? Outcome.Ok : Outcomes.OfFailedWrite(Status, Error);
}

/// <summary>One client's HTTP connection to the cluster, with the lab's timeout on every call.</summary>
internal sealed class LabHttp(NodeProcesses nodes, TimeSpan timeout) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = timeout };

    public async Task<Reply> SendAsync(HttpMethod method, int node, string pathAndQuery, string? body = null, IReadOnlyDictionary<string, string>? headers = null, string mediaType = "application/octet-stream")
    {
        try
        {
            using var request = new HttpRequestMessage(method, nodes.Url(node, pathAndQuery));
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, mediaType);
            }

            foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var response = await _http.SendAsync(request).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            long? mod = response.Headers.TryGetValues("X-Statehouse-Mod-Revision", out var values)
                ? long.Parse(values.First(), CultureInfo.InvariantCulture)
                : null;
            return new Reply(response.StatusCode, text, mod, null);
        }
        catch (Exception ex) when (Outcomes.IsTransport(ex))
        {
            // A dead or cut-off node answers at once; a short pause keeps a client from piling up thousands of
            // unknown-outcome writes (each one widens what the checks must allow) while it is down.
            await Task.Delay(TransportErrorPause).ConfigureAwait(false);
            return new Reply(null, string.Empty, null, ex);
        }
    }

    private static readonly TimeSpan TransportErrorPause = TimeSpan.FromMilliseconds(50);

    public Task<Reply> TxnAsync(int node, object txn) => SendAsync(HttpMethod.Post, node, "/v1/txn", JsonSerializer.Serialize(txn), null, "application/json");

    /// <summary>
    /// Reads every key under a prefix as one snapshot (pages pinned to the first page's revision); null when a page
    /// failed.
    /// </summary>
    public async Task<(long Revision, List<(string Key, string Value, long CreateRevision, long ModRevision)> Items)?> ListAsync(int node, string prefix, string consistency = "linearizable")
    {
        var items = new List<(string, string, long, long)>();
        string? after = null;
        long revision = 0;
        do
        {
            var query = $"/v1/kv/default?prefix={Uri.EscapeDataString(prefix)}&limit=10000&consistency={consistency}" + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}");
            var reply = await SendAsync(HttpMethod.Get, node, query).ConfigureAwait(false);
            if (!reply.Success)
            {
                return null;
            }

            var json = reply.Json;
            revision = revision == 0 ? json.GetProperty("revision").GetInt64() : revision;
            foreach (var item in json.GetProperty("items").EnumerateArray())
            {
                items.Add((item.GetProperty("key").GetString()!, item.GetProperty("value").GetString()!, item.GetProperty("createRevision").GetInt64(), item.GetProperty("modRevision").GetInt64()));
            }

            after = json.GetProperty("more").GetBoolean() ? json.GetProperty("continuation").GetString() : null;
        }
        while (after is not null);
        return (revision, items);
    }

    /// <summary>The store revision as the leader reports it (waits up to ~12 s for one to answer).</summary>
    public async Task<long> LeaderRevisionAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var reply = await SendAsync(HttpMethod.Get, attempt % nodes.Count, "/v1/status").ConfigureAwait(false);
            if (reply.Success && reply.Json.GetProperty("isLeader").GetBoolean())
            {
                return reply.Json.GetProperty("revision").GetInt64();
            }

            if (attempt > 60)
            {
                throw new InvalidOperationException("No leader answered /v1/status.");
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _http.Dispose();
}
