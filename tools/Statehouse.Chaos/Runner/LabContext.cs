using System.Diagnostics;
using System.Net;
using Statehouse.Chaos.Formats;

namespace Statehouse.Chaos.Runner;

/// <summary>Settings of one lab run.</summary>
internal sealed record RunSettings(
    string Statehouse,
    int Nodes,
    int Clients,
    int Keys,
    TimeSpan Duration,
    int Seed,
    TimeSpan FaultInterval,
    IReadOnlyList<string> Faults,
    string WorkFolder,
    int BasePort,
    IReadOnlyList<string> Workloads);

/// <summary>What every workload of a run shares: the cluster, the run's clock, its seed and its work folder.</summary>
internal sealed class LabContext(NodeProcesses nodes, RunSettings settings)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public NodeProcesses Nodes { get; } = nodes;

    public RunSettings Settings { get; } = settings;

    /// <summary>Monotonic time since the run started, in nanoseconds (the time base of every history).</summary>
    public long NowNs => _clock.Elapsed.Ticks * 100;

    /// <summary>A reproducible random source for one client of one workload.</summary>
    public Random RandomFor(string workload, int client) => new(HashCode.Combine(Settings.Seed, StableHash(workload), client));

    public HistoryLog OpenHistory(string workload) => new(Path.Combine(Settings.WorkFolder, $"history-{workload}.jsonl"));

    private static int StableHash(string text)
    {
        var hash = 17;
        foreach (var c in text)
        {
            hash = (hash * 31) + c;
        }

        return hash;
    }
}

/// <summary>A JSON-lines history file written by many clients at once.</summary>
internal sealed class HistoryLog : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Lock _gate = new();

    public HistoryLog(string path)
    {
        Path = path;
        _writer = new StreamWriter(path) { AutoFlush = false };
    }

    public string Path { get; }

    public void Record(HistoryEvent e)
    {
        var line = JsonLinesHistory.Serialize(e);
        lock (_gate)
        {
            _writer.WriteLine(line);
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            _writer.Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer.Dispose();
        }
    }
}

/// <summary>Operations by outcome, counted as they complete (read by the progress line while the run goes).</summary>
internal sealed class OpCounts
{
    private long _ok;
    private long _fail;
    private long _unknown;

    public long Ok => Interlocked.Read(ref _ok);

    public long Fail => Interlocked.Read(ref _fail);

    public long Unknown => Interlocked.Read(ref _unknown);

    public long Total => Ok + Fail + Unknown;

    public void Add(Outcome outcome)
    {
        switch (outcome)
        {
            case Outcome.Ok:
                Interlocked.Increment(ref _ok);
                break;
            case Outcome.Fail:
                Interlocked.Increment(ref _fail);
                break;
            default:
                Interlocked.Increment(ref _unknown);
                break;
        }
    }
}

/// <summary>How a client operation ended: it happened, it definitely did not, or nobody knows.</summary>
internal enum Outcome
{
    Ok,
    Fail,
    Unknown,
}

/// <summary>Classifies what came back from a node the way a careful client must.</summary>
internal static class Outcomes
{
    public static string Phase(this Outcome outcome) => outcome switch
    {
        Outcome.Ok => "ok",
        Outcome.Fail => "fail",
        _ => "info",
    };

    /// <summary>
    /// A write that got no success answer: a 4xx answer is a definite failure; anything else — a timeout, a reset, a
    /// 5xx, and even "connection refused" — may have applied it. (.NET's HttpClient silently retries a request without
    /// a body on a new connection when a pooled one is closed under it, dotnet/runtime#86714: the first attempt may
    /// have reached a node that then died, and the "connection refused" is the retry's. The lab's counter workload
    /// caught that as a phantom increment before this rule.)
    /// </summary>
    public static Outcome OfFailedWrite(HttpStatusCode? status, Exception? error)
    {
        _ = error;
        return status is { } s && (int)s is >= 400 and < 500 ? Outcome.Fail : Outcome.Unknown;
    }

    /// <summary>Exceptions a client sees when a node is dead, paused, cut off or slow.</summary>
    public static bool IsTransport(Exception ex) => ex is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException;
}
