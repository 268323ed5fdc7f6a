using System.Diagnostics;

namespace Statehouse.Checking;

/// <summary>
/// Checks a key-value history for linearizability: the Wing–Gong search as improved by Lowe (linearize a pending
/// operation whose invoke is minimal, backtrack on a return reached too early) with memoization of
/// (set of linearized operations, state) — the approach Porcupine takes, written from the papers. Keys are
/// independent objects, so the history is split per key and each part is searched on its own.
/// </summary>
/// <remarks>
/// Operations with unknown outcome get a return time of +∞ and accept any answer: they may take effect anywhere after
/// their invoke; taking effect after everything else is the same, for what clients saw, as never taking effect.
/// The search is exponential in the worst case: a time budget turns a search that does not finish into
/// <see cref="Verdict.Unknown"/>, never into a pass.
/// </remarks>
public static class LinearizabilityChecker
{
    /// <summary>Checks every key of <paramref name="history"/>; the first violation found is returned.</summary>
    /// <param name="history">Completed and unknown operations.</param>
    /// <param name="initialValue">The value of a key before any write (null = absent; "" for append stores).</param>
    /// <param name="budget">Time allowed for the whole check.</param>
    public static LinearizabilityResult Check(IReadOnlyList<KvOperation> history, string? initialValue, TimeSpan budget) =>
        Check(history, initialValue, budget, DefaultMemoryBudgetBytes);

    /// <summary>Memory the memo table may use per key before the verdict becomes unknown (3 GiB).</summary>
    public const long DefaultMemoryBudgetBytes = 3L << 30;

    /// <summary>
    /// As <see cref="Check(IReadOnlyList{KvOperation}, string?, TimeSpan)"/>, with a bound on the memo table's memory
    /// (<paramref name="memoryBudgetBytes"/>): a search that would exceed it answers <see cref="Verdict.Unknown"/>.
    /// </summary>
    public static LinearizabilityResult Check(IReadOnlyList<KvOperation> history, string? initialValue, TimeSpan budget, long memoryBudgetBytes)
    {
        ArgumentNullException.ThrowIfNull(history);
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(budget.TotalSeconds * Stopwatch.Frequency);
        long explored = 0;
        var unknown = false;
        foreach (var part in history.GroupBy(o => o.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var ops = part.ToList();

            // A read of a value no operation could have written by then needs no search (and a search over a long
            // history that must fail can be exponential): report it with its read alone.
            if (ReadOfUnwrittenValue(ops, initialValue) is { } impossible)
            {
                return new LinearizabilityResult(Verdict.NotLinearizable, part.Key, ops, Stopwatch.GetElapsedTime(started), explored)
                {
                    Deepest = new DeepestPoint([], null, impossible),
                    Witness = [impossible],
                };
            }

            // Fast path: without the unknown-outcome writes nobody observed ("never happened" is always allowed for
            // them), the search is far smaller; if that history is linearizable, so is the whole. Otherwise (one of
            // them may be needed, e.g. to explain a refused compare-and-set) search the whole.
            var reduced = WithoutUnobservedUnknowns(ops);
            if (reduced.Count < ops.Count)
            {
                var (fast, fastStates, _) = CheckOneKey(reduced, initialValue, deadline, memoryBudgetBytes);
                explored += fastStates;
                if (fast == Verdict.Linearizable)
                {
                    continue;
                }
            }

            var (verdict, states, deepest) = CheckOneKey(ops, initialValue, deadline, memoryBudgetBytes);
            explored += states;
            if (verdict == Verdict.NotLinearizable)
            {
                return new LinearizabilityResult(Verdict.NotLinearizable, part.Key, ops, Stopwatch.GetElapsedTime(started), explored) { Deepest = deepest };
            }

            unknown |= verdict == Verdict.Unknown;
        }

        return new LinearizabilityResult(unknown ? Verdict.Unknown : Verdict.Linearizable, null, [], Stopwatch.GetElapsedTime(started), explored);
    }

    /// <summary>The state transition of one operation from <paramref name="state"/>, or false when its answer is impossible.</summary>
    internal static bool Step(string? state, KvOperation op, out string? next)
    {
        next = state;
        switch (op.Kind)
        {
            case OpKind.Read:
                return op.Unknown || op.ReadValue == state;
            case OpKind.Write:
                next = op.Value;
                return true;
            case OpKind.Append:
                next = (state ?? string.Empty) + op.Value;
                return true;
            case OpKind.CompareAndSet:
                var matches = state == op.Expected;
                if (op.Unknown || op.Succeeded)
                {
                    // Unknown: it swapped if it could (not swapping = taking effect at the end, covered elsewhere).
                    if (matches)
                    {
                        next = op.Value;
                    }

                    return op.Unknown || matches;
                }

                return !matches;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op.Kind, "Unknown operation kind.");
        }
    }

    /// <summary>
    /// A completed read that returned a value which is neither the initial value nor written by any operation invoked
    /// before the read returned (writes that definitely failed are not in the history). Null when there is none, or
    /// when the key has appends (their values compose).
    /// </summary>
    internal static KvOperation? ReadOfUnwrittenValue(List<KvOperation> ops, string? initial)
    {
        if (ops.Any(o => o.Kind == OpKind.Append))
        {
            return null;
        }

        var firstWrite = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var o in ops.Where(o => o.Kind is OpKind.Write or OpKind.CompareAndSet && o.Value is not null))
        {
            firstWrite[o.Value!] = Math.Min(firstWrite.GetValueOrDefault(o.Value!, long.MaxValue), o.Invoked);
        }

        return ops.Where(o => o.Kind == OpKind.Read && !o.Unknown && o.ReadValue != initial)
            .OrderBy(o => o.Invoked)
            .FirstOrDefault(o => o.ReadValue is null || !firstWrite.TryGetValue(o.ReadValue, out var at) || at > o.Returned);
    }

    /// <summary>The history without unknown-outcome writes and compare-and-sets whose value no operation observed.</summary>
    internal static List<KvOperation> WithoutUnobservedUnknowns(List<KvOperation> ops)
    {
        var observed = ops.Where(o => o.Kind == OpKind.Read && !o.Unknown).Select(o => o.ReadValue)
            .Concat(ops.Where(o => o.Kind == OpKind.CompareAndSet).Select(o => o.Expected))
            .Where(v => v is not null).ToHashSet(StringComparer.Ordinal);
        return ops.Where(o => !(o.Unknown && o.Kind is OpKind.Write or OpKind.CompareAndSet && !observed.Contains(o.Value!))).ToList();
    }

    private static (Verdict Verdict, long States, DeepestPoint? Deepest) CheckOneKey(List<KvOperation> ops, string? initial, long deadline, long memoryBudgetBytes)
    {
        var n = ops.Count;
        if (n == 0)
        {
            return (Verdict.Linearizable, 0, null);
        }

        // Entries: a call and a return per operation, in time order; at equal times calls first (those ops overlap).
        var entries = new List<Entry>(2 * n);
        for (var i = 0; i < n; i++)
        {
            var call = new Entry(i, isCall: true, ops[i].Invoked);
            var ret = new Entry(i, isCall: false, ops[i].Unknown ? long.MaxValue : Math.Max(ops[i].Returned, ops[i].Invoked));
            call.Match = ret;
            entries.Add(call);
            entries.Add(ret);
        }

        entries.Sort(static (a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : (a.IsCall == b.IsCall ? a.Op.CompareTo(b.Op) : (a.IsCall ? -1 : 1)));
        var head = new Entry(-1, isCall: false, long.MinValue);
        var previous = head;
        foreach (var e in entries)
        {
            previous.Next = e;
            e.Prev = previous;
            previous = e;
        }

        var linearized = new Bits(n);

        // Each memo entry holds a copy of the bit set plus the set's own overhead.
        var maxEntries = Math.Max(1024, memoryBudgetBytes / ((((n + 63) / 64) * 8) + 96));
        var cache = new HashSet<CacheKey>();
        var stack = new Stack<(Entry Call, string? State)>();
        var state = initial;
        var current = head.Next;
        long explored = 0;
        DeepestPoint? deepest = null;
        while (head.Next is not null)
        {
            if ((explored++ & 0x3FF) == 0 && (Stopwatch.GetTimestamp() > deadline || cache.Count > maxEntries))
            {
                return (Verdict.Unknown, explored, null);
            }

            if (current is null)
            {
                // Only returns of operations that were never placed remain before the end: impossible; backtrack.
                if (!Backtrack())
                {
                    return (Verdict.NotLinearizable, explored, deepest);
                }

                continue;
            }

            if (current.IsCall)
            {
                var op = ops[current.Op];
                if (Step(state, op, out var next))
                {
                    linearized.Set(current.Op);
                    if (cache.Add(new CacheKey(linearized.Clone(), next)))
                    {
                        stack.Push((current, state));
                        state = next;
                        Lift(current);
                        current = head.Next;
                        continue;
                    }

                    linearized.Clear(current.Op);
                }

                current = current.Next;
                continue;
            }

            // A return whose operation is not placed yet: everything placed so far cannot be extended. Backtrack.
            if (deepest is null || stack.Count > deepest.Linearized.Count)
            {
                deepest = new DeepestPoint(stack.Reverse().Select(s => ops[s.Call.Op]).ToList(), state, ops[current.Op]);
            }

            if (!Backtrack())
            {
                return (Verdict.NotLinearizable, explored, deepest);
            }
        }

        return (Verdict.Linearizable, explored, null);

        bool Backtrack()
        {
            if (stack.Count == 0)
            {
                return false;
            }

            var (call, before) = stack.Pop();
            state = before;
            linearized.Clear(call.Op);
            Unlift(call);
            current = call.Next;
            return true;
        }
    }

    private static void Lift(Entry call)
    {
        call.Prev!.Next = call.Next;
        if (call.Next is not null)
        {
            call.Next.Prev = call.Prev;
        }

        var ret = call.Match!;
        ret.Prev!.Next = ret.Next;
        if (ret.Next is not null)
        {
            ret.Next.Prev = ret.Prev;
        }
    }

    private static void Unlift(Entry call)
    {
        var ret = call.Match!;
        ret.Prev!.Next = ret;
        if (ret.Next is not null)
        {
            ret.Next.Prev = ret;
        }

        call.Prev!.Next = call;
        if (call.Next is not null)
        {
            call.Next.Prev = call;
        }
    }

    private sealed class Entry(int op, bool isCall, long time)
    {
        public int Op { get; } = op;

        public bool IsCall { get; } = isCall;

        public long Time { get; } = time;

        public Entry? Match { get; set; }

        public Entry? Prev { get; set; }

        public Entry? Next { get; set; }
    }

    /// <summary>A fixed-size bit set of linearized operations.</summary>
    private sealed class Bits
    {
        private readonly ulong[] _words;

        public Bits(int size) => _words = new ulong[(size + 63) / 64];

        private Bits(ulong[] words) => _words = words;

        public void Set(int i) => _words[i >> 6] |= 1UL << (i & 63);

        public void Clear(int i) => _words[i >> 6] &= ~(1UL << (i & 63));

        public Bits Clone() => new((ulong[])_words.Clone());

        public bool SameAs(Bits other) => _words.AsSpan().SequenceEqual(other._words);

        public int Hash()
        {
            var h = new HashCode();
            foreach (var w in _words)
            {
                h.Add(w);
            }

            return h.ToHashCode();
        }
    }

    private readonly struct CacheKey(Bits bits, string? state) : IEquatable<CacheKey>
    {
        private readonly int _hash = HashCode.Combine(bits.Hash(), state is null ? 0 : StringComparer.Ordinal.GetHashCode(state));

        public Bits Bits { get; } = bits;

        public string? State { get; } = state;

        public bool Equals(CacheKey other) => _hash == other._hash && State == other.State && Bits.SameAs(other.Bits);

        public override bool Equals(object? obj) => obj is CacheKey other && Equals(other);

        public override int GetHashCode() => _hash;
    }
}
