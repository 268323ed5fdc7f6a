using System.Diagnostics;
using System.Globalization;

namespace Statehouse.Chaos.Runner;

/// <summary>
/// Network partitions between processes on loopback, each running under its own uid: iptables owner rules drop a
/// process's packets to the other side's address and ports. The sender is matched by uid, not by source address: on
/// loopback the kernel gives every outgoing connection the source 127.0.0.1 whatever address the node listens on, so a
/// rule by source 127.0.0.N would never match. Needs root and iptables; every rule is tagged and removed by <see cref="Heal"/>.
/// </summary>
public sealed class OwnerPartitions
{
    private readonly string _tag = "statehouse-partition-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];
    private readonly List<string[]> _rules = [];
    private readonly Lock _gate = new();

    /// <summary>True when this machine can cut partitions (root, iptables, setpriv to run nodes under other uids).</summary>
    public static bool Available =>
        Environment.UserName == "root" && File.Exists("/usr/sbin/iptables") && File.Exists("/usr/bin/setpriv");

    /// <summary>Drops every TCP packet a process of <paramref name="fromUid"/> sends to one of <paramref name="toPorts"/> on <paramref name="toAddress"/>.</summary>
    public void Block(int fromUid, IEnumerable<int> toPorts, string toAddress = "127.0.0.1")
    {
        foreach (var port in toPorts)
        {
            string[] rule = ["OUTPUT", "-p", "tcp", "-d", toAddress, "--dport", port.ToString(CultureInfo.InvariantCulture),
                "-m", "owner", "--uid-owner", fromUid.ToString(CultureInfo.InvariantCulture), "-m", "comment", "--comment", _tag, "-j", "DROP"];
            Iptables(["-I", .. rule]);
            lock (_gate)
            {
                _rules.Add(rule);
            }
        }
    }

    /// <summary>Removes every rule this instance added.</summary>
    public void Heal()
    {
        List<string[]> rules;
        lock (_gate)
        {
            rules = [.. _rules];
            _rules.Clear();
        }

        foreach (var rule in rules)
        {
            Iptables(["-D", .. rule]);
        }
    }

    private static void Iptables(string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo("iptables", args) { UseShellExecute = false, RedirectStandardError = true })
            ?? throw new InvalidOperationException("Could not start iptables.");
        if (!p.WaitForExit(10_000))
        {
            p.Kill();
            throw new InvalidOperationException($"iptables {string.Join(' ', args)} did not finish in 10 s.");
        }

        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"iptables {string.Join(' ', args)} failed: {p.StandardError.ReadToEnd()}");
        }
    }
}
