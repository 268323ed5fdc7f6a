using System.Diagnostics;
using System.Globalization;

namespace Statehouse.Bench;

/// <summary>CPU time of a process from /proc/PID/stat (utime + stime, in clock ticks) and machine idleness from /proc/stat.</summary>
internal static class ProcCpu
{
    private static readonly Lazy<long> TicksPerSecond = new(ReadClockTicks);

    public static long ClockTicksPerSecond => TicksPerSecond.Value;

    /// <summary>utime + stime of <paramref name="pid"/> in microseconds, or null when the process is gone.</summary>
    public static double? CpuMicros(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may hold spaces: parse after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture); // field 14
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture); // field 15
        return (utime + stime) * 1e6 / ClockTicksPerSecond;
    }

    /// <summary>True when the pid exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var state = text[text.LastIndexOf(')') + 2];
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits (at most <paramref name="maxWait"/>) until the machine is mostly idle, sampling /proc/stat every 300 ms;
    /// returns the idle percentage of the last sample so a run on a busy machine can be spotted in the results.
    /// </summary>
    public static async Task<double> WaitForIdleAsync(double idlePercent, TimeSpan maxWait)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(maxWait.TotalSeconds * Stopwatch.Frequency);
        double idle;
        do
        {
            var (idle0, total0) = ReadStat();
            await Task.Delay(300).ConfigureAwait(false);
            var (idle1, total1) = ReadStat();
            idle = total1 > total0 ? 100.0 * (idle1 - idle0) / (total1 - total0) : 100.0;
        }
        while (idle < idlePercent && Stopwatch.GetTimestamp() < deadline);
        return idle;
    }

    private static (long Idle, long Total) ReadStat()
    {
        var line = File.ReadLines("/proc/stat").First();
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return (parts[3] + parts[4], parts.Sum());
    }

    private static long ReadClockTicks()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true, UseShellExecute = false });
            if (p is not null && p.WaitForExit(5_000) && long.TryParse(p.StandardOutput.ReadToEnd().Trim(), CultureInfo.InvariantCulture, out var ticks) && ticks > 0)
            {
                return ticks;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // getconf missing: Linux's USER_HZ is 100 on every common architecture.
        }

        return 100;
    }
}
