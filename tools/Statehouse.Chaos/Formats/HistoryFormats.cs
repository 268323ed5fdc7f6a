using System.Globalization;
using System.Text.RegularExpressions;
using Statehouse.Checking;

namespace Statehouse.Chaos.Formats;

/// <summary>Readers for recorded histories of other systems' tests (shared/data/linearizability/README.md).</summary>
public static partial class HistoryFormats
{
    /// <summary>
    /// Jepsen's register test log (one register): <c>INFO  jepsen.util - 3	:invoke	:cas	[1 4]</c>. <c>:fail</c> of a
    /// compare-and-set = it did not swap; <c>:info</c> or no completion = outcome unknown; other lines are skipped.
    /// </summary>
    public static List<KvOperation> ReadJepsenRegister(IEnumerable<string> lines)
    {
        var ops = new List<KvOperation>();
        var pending = new Dictionary<int, (long Time, OpKind Kind, string? Value, string? Expected)>();
        long time = 0;
        foreach (var line in lines)
        {
            var m = JepsenLine().Match(line);
            if (!m.Success)
            {
                continue;
            }

            time++;
            var process = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var type = m.Groups[2].Value;
            var f = m.Groups[3].Value;
            var arg = m.Groups[4].Value.Trim();
            if (type == "invoke")
            {
                var (kind, value, expected) = f switch
                {
                    "read" => (OpKind.Read, (string?)null, (string?)null),
                    "write" => (OpKind.Write, Nil(arg), null),
                    "cas" => (OpKind.CompareAndSet, Pair(arg).To, Pair(arg).From),
                    _ => throw new FormatException($"Unknown operation :{f} in '{line}'."),
                };
                pending[process] = (time, kind, value, expected);
                continue;
            }

            if (!pending.Remove(process, out var p))
            {
                continue;
            }

            var unknown = type == "info" || (type == "fail" && p.Kind != OpKind.CompareAndSet);
            ops.Add(new KvOperation(process, "r", p.Kind, p.Value, p.Expected, p.Time, time, unknown,
                ReadValue: p.Kind == OpKind.Read && !unknown ? Nil(arg) : null,
                Succeeded: type == "ok"));
        }

        foreach (var (process, p) in pending)
        {
            ops.Add(new KvOperation(process, "r", p.Kind, p.Value, p.Expected, p.Time, long.MaxValue, Unknown: true));
        }

        return ops;
    }

    /// <summary>
    /// EDN maps, one per line: <c>{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}</c> with
    /// <c>:get</c> / <c>:put</c> / <c>:append</c>; a missing key reads as "" (so the initial value is "").
    /// </summary>
    public static List<KvOperation> ReadEdnKv(IEnumerable<string> lines)
    {
        var ops = new List<KvOperation>();
        var pending = new Dictionary<int, (long Time, OpKind Kind, string Key, string? Value)>();
        long time = 0;
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var process = EdnField().Match(line) is { Success: true } pm ? int.Parse(pm.Groups[1].Value, CultureInfo.InvariantCulture) : throw new FormatException($"No :process in '{line}'.");
            var type = EdnKeyword("type").Match(line).Groups[1].Value;
            var f = EdnKeyword("f").Match(line).Groups[1].Value;
            var key = EdnString("key").Match(line) is { Success: true } km ? km.Groups[1].Value : throw new FormatException($"No :key in '{line}'.");
            var value = EdnString("value").Match(line) is { Success: true } vm ? vm.Groups[1].Value : null;
            time++;
            if (type == "invoke")
            {
                var kind = f switch
                {
                    "get" => OpKind.Read,
                    "put" => OpKind.Write,
                    "append" => OpKind.Append,
                    _ => throw new FormatException($"Unknown :f :{f} in '{line}'."),
                };
                pending[process] = (time, kind, key, value);
                continue;
            }

            if (!pending.Remove(process, out var p))
            {
                continue;
            }

            var unknown = type != "ok";
            ops.Add(new KvOperation(process, p.Key, p.Kind, p.Value, null, p.Time, time, unknown,
                ReadValue: p.Kind == OpKind.Read && !unknown ? value ?? string.Empty : null));
        }

        foreach (var (process, p) in pending)
        {
            ops.Add(new KvOperation(process, p.Key, p.Kind, p.Value, null, p.Time, long.MaxValue, Unknown: true));
        }

        return ops;
    }

    private static string? Nil(string text) => text is "nil" or "" or ":timed-out" ? null : text;

    private static (string? From, string? To) Pair(string text)
    {
        var parts = text.Trim('[', ']').Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2 ? (Nil(parts[0]), Nil(parts[1])) : throw new FormatException($"A compare-and-set takes [FROM TO], got '{text}'.");
    }

    [GeneratedRegex(@"jepsen\.util - (\d+)\s+:(invoke|ok|fail|info)\s+:(read|write|cas)\s*(.*)$")]
    private static partial Regex JepsenLine();

    [GeneratedRegex(@":process\s+(\d+)")]
    private static partial Regex EdnField();

    private static Regex EdnKeyword(string name) => new($@":{name}\s+:([a-z\-]+)", RegexOptions.CultureInvariant);

    private static Regex EdnString(string name) => new($@":{name}\s+""((?:[^""\\]|\\.)*)""", RegexOptions.CultureInvariant);
}
