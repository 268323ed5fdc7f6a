namespace Statehouse.Raft;

/// <summary>
/// The Append messages in flight to one follower: a bounded ring of (last index, bytes), freed as the follower
/// acknowledges. Full means the leader waits (flow control, thesis §10.2.1).
/// </summary>
internal sealed class Inflights(int capacity, long maxBytes)
{
    private readonly LogIndex[] _lastIndex = new LogIndex[capacity];
    private readonly long[] _bytes = new long[capacity];
    private int _start;

    public int Count { get; private set; }

    public long Bytes { get; private set; }

    public bool IsFull => Count == capacity || (maxBytes > 0 && Bytes >= maxBytes);

    public void Add(LogIndex lastIndex, long bytes)
    {
        Invariant.Assert(Count < capacity, "an append was sent with the in-flight window full");
        Invariant.Assert(Count == 0 || _lastIndex[(_start + Count - 1) % capacity] < lastIndex, "in-flight appends must grow");
        var at = (_start + Count) % capacity;
        _lastIndex[at] = lastIndex;
        _bytes[at] = bytes;
        Count++;
        Bytes += bytes;
    }

    /// <summary>Frees every message whose last index is at or below <paramref name="index"/>.</summary>
    public void FreeTo(LogIndex index)
    {
        while (Count > 0 && _lastIndex[_start] <= index)
        {
            Bytes -= _bytes[_start];
            _start = (_start + 1) % capacity;
            Count--;
        }

        Invariant.Assert(Bytes >= 0);
    }

    /// <summary>Frees the oldest message, if the window is full (its answer is presumed lost; see HandleHeartbeatResponse).</summary>
    public void FreeFirstOne()
    {
        if (!IsFull || Count == 0)
        {
            return;
        }

        Bytes -= _bytes[_start];
        _start = (_start + 1) % capacity;
        Count--;
        Invariant.Assert(Bytes >= 0);
    }

    public void Reset()
    {
        _start = 0;
        Count = 0;
        Bytes = 0;
    }
}
