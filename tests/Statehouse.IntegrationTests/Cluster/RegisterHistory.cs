using System.Diagnostics;

namespace Statehouse.IntegrationTests.Cluster;

/// <summary>One completed operation on one key: a write (value, the revision it got) or a read (value seen, its mod revision).</summary>
internal sealed record RegisterOp(string Key, bool IsWrite, string? Value, long Revision, long StartTicks, long EndTicks)
{
    /// <summary>For a successful compare-and-set: the mod revision it required (the write it replaced).</summary>
    public long? Expected { get; init; }
}

/// <summary>
/// Records get/put histories and checks the conditions a linearizable multi-register store must meet, with the
/// revisions the store reports as the witness order: (1) a read returns exactly what the write with that revision
/// wrote (or nothing at revision 0); (2) real-time order is respected — an operation that starts after another one
/// finished never sees an older revision of the key; (3) a successful compare-and-set that required revision e and
/// produced r replaced exactly e: no acknowledged write of the key lies strictly between them. (The full checker
/// comes with the fault-lab issue.)
/// </summary>
internal sealed class RegisterHistory
{
    private readonly Lock _gate = new();
    private readonly List<RegisterOp> _ops = [];

    public static long Now => Stopwatch.GetTimestamp();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _ops.Count;
            }
        }
    }

    public void Add(RegisterOp op)
    {
        lock (_gate)
        {
            _ops.Add(op);
        }
    }

    private readonly List<Statehouse.Checking.KvOperation> _full = [];

    /// <summary>Records an operation for the full linearizability check, including failed and unknown ones.</summary>
    public void Record(Statehouse.Checking.KvOperation op)
    {
        lock (_gate)
        {
            _full.Add(op);
        }
    }

    /// <summary>The Wing–Gong/Lowe search over everything recorded (unknown outcomes may or may not have taken effect).</summary>
    public Statehouse.Checking.LinearizabilityResult CheckLinearizable()
    {
        List<Statehouse.Checking.KvOperation> ops;
        lock (_gate)
        {
            ops = [.. _full];
        }

        return Statehouse.Checking.LinearizabilityChecker.Check(ops, null, TimeSpan.FromSeconds(60));
    }

    /// <summary>Returns the violations found (empty = the history passes).</summary>
    public IReadOnlyList<string> Check()
    {
        List<RegisterOp> ops;
        lock (_gate)
        {
            ops = [.. _ops];
        }

        var problems = new List<string>();
        foreach (var byKey in ops.GroupBy(o => o.Key))
        {
            var writes = byKey.Where(o => o.IsWrite).ToList();
            var written = new Dictionary<long, string?>();
            foreach (var w in writes)
            {
                if (!written.TryAdd(w.Revision, w.Value))
                {
                    problems.Add($"{byKey.Key}: two acknowledged writes got revision {w.Revision}");
                }
            }

            foreach (var r in byKey.Where(o => !o.IsWrite && o.Revision > 0))
            {
                // A read may see a write whose acknowledgement was lost (not in the history); only a known one is compared.
                if (written.TryGetValue(r.Revision, out var value) && value != r.Value)
                {
                    problems.Add($"{byKey.Key}: read saw '{r.Value}' at revision {r.Revision}, but that write wrote '{value}'");
                }
            }

            foreach (var cas in writes.Where(w => w.Expected is not null))
            {
                var between = writes.FirstOrDefault(w => w.Revision > cas.Expected && w.Revision < cas.Revision);
                if (between is not null)
                {
                    problems.Add($"{byKey.Key}: compare-and-set expected revision {cas.Expected} and wrote {cas.Revision}, but a write at {between.Revision} came between");
                }
            }

            // Real-time order: sort by end; for each op, the highest revision among ops that ended before it started.
            var byEnd = byKey.OrderBy(o => o.EndTicks).ToList();
            foreach (var op in byKey)
            {
                var floor = 0L;
                RegisterOp? witness = null;
                foreach (var earlier in byEnd)
                {
                    if (earlier.EndTicks >= op.StartTicks)
                    {
                        break;
                    }

                    if (earlier.Revision > floor)
                    {
                        floor = earlier.Revision;
                        witness = earlier;
                    }
                }

                if (op.Revision < floor)
                {
                    problems.Add($"{byKey.Key}: {(op.IsWrite ? "write" : "read")} at revision {op.Revision} started after a {(witness!.IsWrite ? "write" : "read")} at revision {floor} had finished (stale)");
                }
            }
        }

        return problems;
    }
}
