using Statehouse.Core;
using Statehouse.Core.Model;

namespace Statehouse.Cluster;

public sealed partial class StatehouseNode
{
    private readonly Queue<(long TimestampMs, long Revision)> _revisionSamples = new();

    /// <summary>Expires leases whose deadline passed and compacts history past its retention, through the log.</summary>
    private async Task RunMaintenanceAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.MaintenanceIntervalMs), _options.TimeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await WatchdogTickAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.WatchdogFailed(_logger, ex);
                }

                if (_fatal is not null)
                {
                    continue;
                }

                try
                {
                    RefreshLeadership();
                    if (!IsLeader)
                    {
                        // Only the leader expires leases and compacts; followers get both through the log.
                        continue;
                    }

                    await ExpireLeasesAsync().ConfigureAwait(false);
                    await CompactHistoryAsync().ConfigureAwait(false);
                }
                catch (StatehouseException ex) when (ex.Code == ErrorCode.Unavailable)
                {
                    // Queue full or stopping: try again next tick.
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.MaintenanceFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ExpireLeasesAsync()
    {
        var now = NowMs();
        var due = _leaseClock.Expired(now, _options.MaxLeasesExpiredPerEntry);
        if (due.Count == 0)
        {
            return;
        }

        var view = View;
        var live = new List<long>(due.Count);
        foreach (var id in due)
        {
            if (view.Leases.ContainsKey(id))
            {
                live.Add(id);
            }
            else
            {
                _leaseClock.Forget(id);
            }
        }

        if (live.Count > 0)
        {
            var result = await ProposeAsync(new LeaseExpireCommand(live), _stopping.Token).ConfigureAwait(false);
            _metrics.RecordLeasesExpired(((LeaseExpireResult)result).Expired.Count);
        }
    }

    private async Task CompactHistoryAsync()
    {
        var now = NowMs();
        var view = View;
        if (_revisionSamples.Count == 0 || now - _revisionSamples.Last().TimestampMs >= 1000)
        {
            _revisionSamples.Enqueue((now, view.Revision));
        }

        long target = view.Revision - _options.HistoryRetentionRevisions;
        if (_options.HistoryRetentionMs > 0)
        {
            // The newest sample older than the retention: everything before its revision has aged out.
            while (_revisionSamples.Count > 1 && _revisionSamples.ElementAt(1).TimestampMs <= now - _options.HistoryRetentionMs)
            {
                _revisionSamples.Dequeue();
            }

            var (oldestMs, oldestRevision) = _revisionSamples.Peek();
            if (oldestMs <= now - _options.HistoryRetentionMs)
            {
                target = Math.Max(target, oldestRevision);
            }
        }

        // Compact in steps large enough to be worth a log entry.
        var step = Math.Max(1, _options.HistoryRetentionRevisions / 100);
        if (target > view.CompactRevision && target - view.CompactRevision >= step)
        {
            await ProposeAsync(new CompactCommand(target), _stopping.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Keeps a lease alive: its full TTL again from now. Throws NotFound when it does not exist.</summary>
    public long KeepAlive(long leaseId)
    {
        if (!View.Leases.TryGetValue(leaseId, out var lease))
        {
            throw new StatehouseException(ErrorCode.NotFound, $"Lease {leaseId} does not exist.");
        }

        var now = NowMs();
        if (!_leaseClock.Refresh(leaseId, lease.TtlSeconds, now))
        {
            _leaseClock.Track(leaseId, lease.TtlSeconds, now);
        }

        return lease.TtlSeconds;
    }

    /// <summary>Remaining TTL in seconds (rounded up), or null when the lease does not exist.</summary>
    public (long RemainingSeconds, long GrantedSeconds)? TimeToLive(long leaseId)
    {
        if (!View.Leases.TryGetValue(leaseId, out var lease))
        {
            return null;
        }

        var remaining = _leaseClock.RemainingMs(leaseId, NowMs()) ?? (lease.TtlSeconds * 1000);
        return ((remaining + 999) / 1000, lease.TtlSeconds);
    }
}
