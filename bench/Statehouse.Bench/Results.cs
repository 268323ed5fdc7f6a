using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Statehouse.Bench;

/// <summary>One result per run, appended as a JSON line to the file given with --out; `report` turns them into tables.</summary>
internal static class Results
{
    public static void Append(string? path, JsonObject result)
    {
        result["utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        var line = result.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
        Console.WriteLine("RESULT " + line);
        if (path is not null)
        {
            File.AppendAllText(path, line + "\n");
        }
    }

    /// <summary>Rounds for a readable file: 3 significant decimals is far below the run-to-run spread.</summary>
    public static double R(double v) => double.IsFinite(v) ? Math.Round(v, 3) : -1;

    public static void AddLatencies(JsonObject o, string prefix, LatencyHistogram h)
    {
        o[prefix + "p50_ms"] = R(h.PercentileMs(0.50));
        o[prefix + "p99_ms"] = R(h.PercentileMs(0.99));
        o[prefix + "p999_ms"] = R(h.PercentileMs(0.999));
        o[prefix + "max_ms"] = R(h.PercentileMs(1));
    }

    public static string Ms(double v) => double.IsFinite(v) ? v.ToString(v < 10 ? "F2" : "F1", CultureInfo.InvariantCulture) : "-";
}
