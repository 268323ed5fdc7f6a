namespace Statehouse.Core.Store;

/// <summary>
/// The revision-ordered change history since the compaction point: what watchers replay from and what the
/// compactor walks. Appended once per applied batch by the state machine; read by any number of watchers.
/// </summary>
/// <remarks>All members are thread-safe (one lock; appends are per batch, reads copy out a bounded slice).</remarks>
public sealed class EventHistory
{
    private readonly Lock _lock = new();
    private readonly List<WatchEvent> _events = [];
    private int _start;
    private long _compactRevision;

    /// <summary>Revisions below this are compacted: a watch from there gets <see cref="ErrorCode.Compacted"/>.</summary>
    public long CompactRevision
    {
        get
        {
            lock (_lock)
            {
                return _compactRevision;
            }
        }
    }

    /// <summary>Events held (not yet trimmed).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _events.Count - _start;
            }
        }
    }

    internal void Append(List<WatchEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        lock (_lock)
        {
            var last = _events.Count > _start ? _events[^1].Revision : 0;
            Invariant.Assert(events[0].Revision >= last);
            _events.AddRange(events);
        }
    }

    internal void SetCompactRevision(long revision)
    {
        lock (_lock)
        {
            Invariant.Assert(revision >= _compactRevision);
            _compactRevision = revision;
        }
    }

    /// <summary>Removes and returns up to <paramref name="max"/> events with revision below the compaction point.</summary>
    internal List<WatchEvent> TakeCompacted(int max)
    {
        lock (_lock)
        {
            var taken = new List<WatchEvent>();
            while (_start < _events.Count && taken.Count < max && _events[_start].Revision < _compactRevision)
            {
                taken.Add(_events[_start]);
                _events[_start] = null!;
                _start++;
            }

            if (_start > 4096 && _start > _events.Count / 2)
            {
                _events.RemoveRange(0, _start);
                _start = 0;
            }

            return taken;
        }
    }

    /// <summary>True when compacted events still wait to be trimmed.</summary>
    internal bool HasCompactedEvents
    {
        get
        {
            lock (_lock)
            {
                return _start < _events.Count && _events[_start].Revision < _compactRevision;
            }
        }
    }

    /// <summary>
    /// Copies events with revision ≥ <paramref name="fromRevision"/> into <paramref name="into"/>: at most about
    /// <paramref name="maxEvents"/>, always whole revisions. Returns false when <paramref name="fromRevision"/> is compacted.
    /// </summary>
    public bool TryRead(long fromRevision, int maxEvents, List<WatchEvent> into, out long compactRevision)
    {
        Invariant.Assert(maxEvents > 0);
        lock (_lock)
        {
            compactRevision = _compactRevision;
            if (fromRevision < _compactRevision)
            {
                return false;
            }

            // Binary search the first event with revision ≥ fromRevision.
            int lo = _start, hi = _events.Count;
            while (lo < hi)
            {
                var mid = lo + ((hi - lo) / 2);
                if (_events[mid].Revision < fromRevision)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            var i = lo;
            while (i < _events.Count)
            {
                var e = _events[i];
                if (into.Count >= maxEvents && into.Count > 0 && into[^1].Revision != e.Revision)
                {
                    break;
                }

                into.Add(e);
                i++;
            }

            return true;
        }
    }

    /// <summary>Replaces the contents (restore from a snapshot).</summary>
    internal void Reset(List<WatchEvent> events, long compactRevision)
    {
        lock (_lock)
        {
            _events.Clear();
            _events.AddRange(events);
            _start = 0;
            _compactRevision = compactRevision;
        }
    }
}
