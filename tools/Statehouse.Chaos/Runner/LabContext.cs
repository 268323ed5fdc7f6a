using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
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
    /// A write that got no success answer: refused before it could act (4xx, connection refused) is a definite failure;
    /// a timeout, a reset or a 5xx may have applied it.
    /// </summary>
    public static Outcome OfFailedWrite(HttpStatusCode? status, Exception? error)
    {
        if (status is { } s)
        {
            return (int)s is >= 400 and < 500 ? Outcome.Fail : Outcome.Unknown;
        }

        return error is HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } }
            ? Outcome.Fail
            : Outcome.Unknown;
    }

    /// <summary>Exceptions a client sees when a node is dead, paused, cut off or slow.</summary>
    public static bool IsTransport(Exception ex) => ex is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException;
}
