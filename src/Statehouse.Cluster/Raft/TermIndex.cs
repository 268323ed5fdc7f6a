namespace Statehouse.Cluster.Raft;

/// <summary>
/// Terms of the log entries held, run-length encoded (terms change rarely), so term checks (AppendEntries
/// consistency, vote up-to-date checks, replication) need no I/O. Not thread-safe: the log guards it.
/// </summary>
internal sealed class TermIndex
{
    private readonly List<(long FirstIndex, long Term)> _runs = [];

    /// <summary>Lowest index covered (0 when empty).</summary>
    public long FirstIndex => _runs.Count == 0 ? 0 : _runs[0].FirstIndex;

    /// <summary>Highest index covered.</summary>
    public long LastIndex { get; private set; }

    /// <summary>Adds the entry after <see cref="LastIndex"/>.</summary>
    public void Add(long index, long term)
    {
        Core.Invariant.Assert(_runs.Count == 0 || index == LastIndex + 1, "terms are added in index order");
        if (_runs.Count == 0 || _runs[^1].Term != term)
        {
            Core.Invariant.Assert(_runs.Count == 0 || term > _runs[^1].Term, "terms never decrease along the log");
            _runs.Add((index, term));
        }

        LastIndex = index;
    }

    /// <summary>The term at <paramref name="index"/>, or null when it is not covered.</summary>
    public long? TermAt(long index)
    {
        if (_runs.Count == 0 || index < _runs[0].FirstIndex || index > LastIndex)
        {
            return null;
        }

        int lo = 0, hi = _runs.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_runs[mid].FirstIndex <= index)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return _runs[lo].Term;
    }

    /// <summary>Forgets <paramref name="fromIndex"/> and everything after it.</summary>
    public void TruncateFrom(long fromIndex)
    {
        if (_runs.Count == 0 || fromIndex > LastIndex)
        {
            return;
        }

        while (_runs.Count > 0 && _runs[^1].FirstIndex >= fromIndex)
        {
            _runs.RemoveAt(_runs.Count - 1);
        }

        LastIndex = _runs.Count == 0 ? 0 : fromIndex - 1;
    }

    /// <summary>Forgets everything below <paramref name="index"/>.</summary>
    public void DropBefore(long index)
    {
        if (_runs.Count == 0 || index <= _runs[0].FirstIndex)
        {
            return;
        }

        if (index > LastIndex)
        {
            Clear();
            return;
        }

        // Keep the run that covers index, starting at index.
        var keepFrom = 0;
        while (keepFrom + 1 < _runs.Count && _runs[keepFrom + 1].FirstIndex <= index)
        {
            keepFrom++;
        }

        var term = _runs[keepFrom].Term;
        _runs.RemoveRange(0, keepFrom + 1);
        _runs.Insert(0, (index, term));
    }

    public void Clear()
    {
        _runs.Clear();
        LastIndex = 0;
    }
}
