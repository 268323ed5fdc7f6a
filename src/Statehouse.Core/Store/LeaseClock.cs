namespace Statehouse.Core.Store;

/// <summary>
/// The leader's lease deadlines. Not replicated state: a new leader (or a restarted node) gives every lease its
/// full TTL again, as etcd does, so no lease expires early because of a leader change. Expiry then enters the log
/// as a <see cref="Model.LeaseExpireCommand"/>. Time is passed in as milliseconds; this class reads no clock.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public sealed class LeaseClock
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, (long DeadlineMs, long TtlSeconds)> _deadlines = [];
    private readonly PriorityQueue<long, long> _queue = new();

    /// <summary>Leases tracked.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _deadlines.Count;
            }
        }
    }

    /// <summary>Starts tracking a lease unless it is tracked already.</summary>
    public void Track(long leaseId, long ttlSeconds, long nowMs)
    {
        Invariant.Assert(leaseId > 0);
        Invariant.Assert(ttlSeconds > 0);
        lock (_lock)
        {
            if (!_deadlines.ContainsKey(leaseId))
            {
                SetLocked(leaseId, ttlSeconds, nowMs);
            }
        }
    }

    /// <summary>Gives the lease its full TTL again from now. Returns false when the lease is not tracked.</summary>
    public bool Refresh(long leaseId, long ttlSeconds, long nowMs)
    {
        lock (_lock)
        {
            if (!_deadlines.ContainsKey(leaseId))
            {
                return false;
            }

            SetLocked(leaseId, ttlSeconds, nowMs);
            return true;
        }
    }

    /// <summary>Stops tracking a lease.</summary>
    public void Forget(long leaseId)
    {
        lock (_lock)
        {
            _deadlines.Remove(leaseId);
        }
    }

    /// <summary>Milliseconds left before the lease expires, or null when it is not tracked.</summary>
    public long? RemainingMs(long leaseId, long nowMs)
    {
        lock (_lock)
        {
            return _deadlines.TryGetValue(leaseId, out var d) ? Math.Max(0, d.DeadlineMs - nowMs) : null;
        }
    }

    /// <summary>Leases whose deadline has passed (at most <paramref name="max"/>). They stay tracked until forgotten.</summary>
    public List<long> Expired(long nowMs, int max)
    {
        Invariant.Assert(max > 0);
        var expired = new List<long>();
        lock (_lock)
        {
            while (expired.Count < max && _queue.TryPeek(out var id, out var deadline) && deadline <= nowMs)
            {
                _queue.Dequeue();

                // Entries are lazily invalidated: only the current deadline counts.
                if (_deadlines.TryGetValue(id, out var current) && current.DeadlineMs == deadline)
                {
                    expired.Add(id);

                    // Retry later in case the expiry command is lost (e.g. the node stops leading meanwhile).
                    _queue.Enqueue(id, nowMs + 1000);
                    _deadlines[id] = (nowMs + 1000, current.TtlSeconds);
                }
            }
        }

        return expired;
    }

    /// <summary>Forgets everything and tracks the given leases with their full TTL from now (a new leader's start).</summary>
    public void Reset(IEnumerable<(long Id, long TtlSeconds)> leases, long nowMs)
    {
        lock (_lock)
        {
            _deadlines.Clear();
            _queue.Clear();
            foreach (var (id, ttl) in leases)
            {
                SetLocked(id, ttl, nowMs);
            }
        }
    }

    private void SetLocked(long leaseId, long ttlSeconds, long nowMs)
    {
        var deadline = nowMs + (ttlSeconds * 1000);
        _deadlines[leaseId] = (deadline, ttlSeconds);
        _queue.Enqueue(leaseId, deadline);

        // Refreshes leave stale entries behind until their old deadline; keep the queue within a small multiple
        // of the live leases (rebuilding costs O(n log n), amortized over the n refreshes that caused it).
        if (_queue.Count > (2 * _deadlines.Count) + 8)
        {
            _queue.Clear();
            foreach (var (id, d) in _deadlines)
            {
                _queue.Enqueue(id, d.DeadlineMs);
            }
        }
    }
}
