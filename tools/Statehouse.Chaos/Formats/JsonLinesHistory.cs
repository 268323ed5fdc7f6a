using System.Text.Json;
using System.Text.Json.Serialization;
using Statehouse.Checking;

namespace Statehouse.Chaos.Formats;

/// <summary>
/// One line of a Statehouse history file: an operation's invocation, or its completion as <c>ok</c>, <c>fail</c>
/// (definitely did not happen; for a compare-and-set: did not swap) or <c>info</c> (outcome unknown).
/// </summary>
/// <param name="Client">The client (one operation at a time per client).</param>
/// <param name="Phase"><c>invoke</c>, <c>ok</c>, <c>fail</c> or <c>info</c>.</param>
/// <param name="Op"><c>read</c>, <c>write</c>, <c>cas</c> or <c>append</c>.</param>
/// <param name="Key">The key.</param>
/// <param name="Value">Written / appended / swapped-in value (invoke), or the value read (ok of a read; null = absent).</param>
/// <param name="Expected">For a compare-and-set: the value it requires.</param>
/// <param name="TimeNs">Monotonic time in nanoseconds.</param>
/// <param name="Error">On a <c>fail</c>: why the operation never took effect (e.g. connection refused). A compare-and-set
/// that failed with an error was never evaluated, so it says nothing about the value; without an error, a failed
/// compare-and-set was evaluated and did not swap.</param>
/// <param name="Node">The node the client sent the operation to (for reading a history; the checker ignores it).</param>
public sealed record HistoryEvent(int Client, string Phase, string Op, string Key, string? Value, string? Expected, long TimeNs, string? Error = null, int? Node = null);

/// <summary>Writes and reads histories as JSON lines (the format the fault lab records).</summary>
public static class JsonLinesHistory
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Serialize(HistoryEvent e) => JsonSerializer.Serialize(e, Options);

    /// <summary>Pairs invocations with completions; an invocation never completed is an unknown outcome.</summary>
    public static List<KvOperation> Read(IEnumerable<string> lines)
    {
        var ops = new List<KvOperation>();
        var pending = new Dictionary<int, HistoryEvent>();
        var lineNumber = 0;
        foreach (var line in lines)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            HistoryEvent e;
            try
            {
                e = JsonSerializer.Deserialize<HistoryEvent>(line, Options) ?? throw new FormatException("empty");
            }
            catch (JsonException ex)
            {
                throw new FormatException($"Line {lineNumber}: not a history event ({ex.Message}).", ex);
            }

            if (e.Phase == "invoke")
            {
                if (pending.ContainsKey(e.Client))
                {
                    throw new FormatException($"Line {lineNumber}: client {e.Client} invoked an operation before the previous one completed.");
                }

                pending[e.Client] = e;
                continue;
            }

            if (!pending.Remove(e.Client, out var call))
            {
                throw new FormatException($"Line {lineNumber}: client {e.Client} completed an operation it never invoked.");
            }

            var kind = Kind(call.Op, lineNumber);
            if (e.Phase == "fail" && (kind != OpKind.CompareAndSet || e.Error is not null))
            {
                // Definitely did not happen (and was not evaluated): it constrains nothing.
                continue;
            }

            var unknown = e.Phase switch
            {
                "ok" or "fail" => false,
                "info" => true,
                _ => throw new FormatException($"Line {lineNumber}: phase must be invoke, ok, fail or info, got '{e.Phase}'."),
            };
            ops.Add(new KvOperation(e.Client, call.Key, kind, kind == OpKind.Read ? null : call.Value, call.Expected, call.TimeNs, e.TimeNs, unknown,
                ReadValue: kind == OpKind.Read && !unknown ? e.Value : null,
                Succeeded: e.Phase == "ok"));
        }

        foreach (var (client, call) in pending)
        {
            ops.Add(new KvOperation(client, call.Key, Kind(call.Op, 0), call.Value, call.Expected, call.TimeNs, long.MaxValue, Unknown: true));
        }

        return ops;
    }

    private static OpKind Kind(string op, int line) => op switch
    {
        "read" => OpKind.Read,
        "write" => OpKind.Write,
        "cas" => OpKind.CompareAndSet,
        "append" => OpKind.Append,
        _ => throw new FormatException($"Line {line}: op must be read, write, cas or append, got '{op}'."),
    };
}
