namespace Statehouse.Core.Collections;

/// <summary>
/// An immutable sorted map from byte-string keys to values: an AVL tree with path copying.
/// Every update returns a new map and shares all untouched nodes with the old one, so a reader
/// (or a snapshot writer) can keep using an old root while the state machine moves on.
/// </summary>
/// <remarks>Thread-safe for any number of readers: nodes are never mutated after publication.</remarks>
public sealed class PersistentSortedMap<TValue>
{
    private readonly Node? _root;

    private PersistentSortedMap(Node? root) => _root = root;

    /// <summary>The empty map.</summary>
    public static PersistentSortedMap<TValue> Empty { get; } = new(null);

    /// <summary>Builds a balanced map in O(n) from entries already in strictly ascending key order (restore from a snapshot).</summary>
    public static PersistentSortedMap<TValue> FromSorted(IReadOnlyList<KeyValuePair<byte[], TValue>> sorted)
    {
        for (var i = 1; i < sorted.Count; i++)
        {
            Invariant.Assert(ByteKeyComparer.Instance.Compare(sorted[i - 1].Key, sorted[i].Key) < 0);
        }

        return new PersistentSortedMap<TValue>(Build(sorted, 0, sorted.Count));
    }

    private static Node? Build(IReadOnlyList<KeyValuePair<byte[], TValue>> sorted, int from, int to)
    {
        if (from >= to)
        {
            return null;
        }

        var mid = from + ((to - from) / 2);
        return Make(sorted[mid].Key, sorted[mid].Value, Build(sorted, from, mid), Build(sorted, mid + 1, to));
    }

    /// <summary>Number of entries.</summary>
    public int Count => _root?.Count ?? 0;

    /// <summary>Looks a key up.</summary>
    public bool TryGetValue(ReadOnlySpan<byte> key, out TValue value)
    {
        var node = _root;
        while (node is not null)
        {
            var c = key.SequenceCompareTo(node.Key);
            if (c == 0)
            {
                value = node.Value;
                return true;
            }

            node = c < 0 ? node.Left : node.Right;
        }

        value = default!;
        return false;
    }

    /// <summary>Returns a map with <paramref name="key"/> set to <paramref name="value"/>.</summary>
    public PersistentSortedMap<TValue> SetItem(byte[] key, TValue value) => new(Insert(_root, key, value));

    /// <summary>Returns a map without <paramref name="key"/> (the same map when absent).</summary>
    public PersistentSortedMap<TValue> Remove(ReadOnlySpan<byte> key)
    {
        var root = Delete(_root, key, out var removed);
        return removed ? new PersistentSortedMap<TValue>(root) : this;
    }

    /// <summary>Entries with key ≥ <paramref name="start"/> (all when null) and key &lt; <paramref name="end"/> (no bound when null), ascending.</summary>
    public IEnumerable<KeyValuePair<byte[], TValue>> Enumerate(byte[]? start, byte[]? end)
    {
        // An explicit stack of the path keeps the walk O(log n + k) without recursion.
        var stack = new Stack<Node>(48);
        var node = _root;
        while (node is not null)
        {
            if (start is null || ((ReadOnlySpan<byte>)node.Key).SequenceCompareTo(start) >= 0)
            {
                stack.Push(node);
                node = node.Left;
            }
            else
            {
                node = node.Right;
            }
        }

        while (stack.Count > 0)
        {
            var current = stack.Pop();
            if (end is not null && ((ReadOnlySpan<byte>)current.Key).SequenceCompareTo(end) >= 0)
            {
                yield break;
            }

            yield return new KeyValuePair<byte[], TValue>(current.Key, current.Value);
            node = current.Right;
            while (node is not null)
            {
                stack.Push(node);
                node = node.Left;
            }
        }
    }

    /// <summary>Height of the tree (for tests of the balance invariant).</summary>
    internal int Height => _root?.Height ?? 0;

    /// <summary>Checks the AVL and ordering invariants (tests only: O(n)).</summary>
    internal void CheckInvariants()
    {
        Check(_root, null, null);
    }

    private static void Check(Node? node, byte[]? low, byte[]? high)
    {
        if (node is null)
        {
            return;
        }

        Invariant.Assert(low is null || ByteKeyComparer.Instance.Compare(node.Key, low) > 0);
        Invariant.Assert(high is null || ByteKeyComparer.Instance.Compare(node.Key, high) < 0);
        Invariant.Assert(Math.Abs(HeightOf(node.Left) - HeightOf(node.Right)) <= 1);
        Invariant.Assert(node.Count == CountOf(node.Left) + CountOf(node.Right) + 1);
        Check(node.Left, low, node.Key);
        Check(node.Right, node.Key, high);
    }

    private static int HeightOf(Node? n) => n?.Height ?? 0;

    private static int CountOf(Node? n) => n?.Count ?? 0;

    private static Node Make(byte[] key, TValue value, Node? left, Node? right) => new(key, value, left, right);

    private static Node Balance(byte[] key, TValue value, Node? left, Node? right)
    {
        var hl = HeightOf(left);
        var hr = HeightOf(right);
        if (hl > hr + 1)
        {
            var l = left!;
            if (HeightOf(l.Left) >= HeightOf(l.Right))
            {
                return Make(l.Key, l.Value, l.Left, Make(key, value, l.Right, right));
            }

            var lr = l.Right!;
            return Make(lr.Key, lr.Value, Make(l.Key, l.Value, l.Left, lr.Left), Make(key, value, lr.Right, right));
        }

        if (hr > hl + 1)
        {
            var r = right!;
            if (HeightOf(r.Right) >= HeightOf(r.Left))
            {
                return Make(r.Key, r.Value, Make(key, value, left, r.Left), r.Right);
            }

            var rl = r.Left!;
            return Make(rl.Key, rl.Value, Make(key, value, left, rl.Left), Make(r.Key, r.Value, rl.Right, r.Right));
        }

        return Make(key, value, left, right);
    }

    private static Node Insert(Node? node, byte[] key, TValue value)
    {
        if (node is null)
        {
            return Make(key, value, null, null);
        }

        var c = ((ReadOnlySpan<byte>)key).SequenceCompareTo(node.Key);
        if (c == 0)
        {
            // Keep the existing key array: it is shared with events and leases.
            return Make(node.Key, value, node.Left, node.Right);
        }

        return c < 0
            ? Balance(node.Key, node.Value, Insert(node.Left, key, value), node.Right)
            : Balance(node.Key, node.Value, node.Left, Insert(node.Right, key, value));
    }

    private static Node? Delete(Node? node, ReadOnlySpan<byte> key, out bool removed)
    {
        if (node is null)
        {
            removed = false;
            return null;
        }

        var c = key.SequenceCompareTo(node.Key);
        if (c < 0)
        {
            var left = Delete(node.Left, key, out removed);
            return removed ? Balance(node.Key, node.Value, left, node.Right) : node;
        }

        if (c > 0)
        {
            var right = Delete(node.Right, key, out removed);
            return removed ? Balance(node.Key, node.Value, node.Left, right) : node;
        }

        removed = true;
        if (node.Left is null)
        {
            return node.Right;
        }

        if (node.Right is null)
        {
            return node.Left;
        }

        var min = node.Right;
        while (min.Left is not null)
        {
            min = min.Left;
        }

        var rest = Delete(node.Right, min.Key, out _);
        return Balance(min.Key, min.Value, node.Left, rest);
    }

    private sealed class Node
    {
        public Node(byte[] key, TValue value, Node? left, Node? right)
        {
            Key = key;
            Value = value;
            Left = left;
            Right = right;
            Height = Math.Max(left?.Height ?? 0, right?.Height ?? 0) + 1;
            Count = (left?.Count ?? 0) + (right?.Count ?? 0) + 1;
        }

        public byte[] Key { get; }

        public TValue Value { get; }

        public Node? Left { get; }

        public Node? Right { get; }

        public int Height { get; }

        public int Count { get; }
    }
}
