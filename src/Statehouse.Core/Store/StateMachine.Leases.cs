using System.Collections.Immutable;
using Statehouse.Core.Model;

namespace Statehouse.Core.Store;

public sealed partial class StateMachine
{
    private CommandResult ApplyLeaseGrant(LeaseGrantCommand grant) => GrantLease(grant.LeaseId, grant.TtlSeconds, owned: false);

    private CommandResult GrantLease(long requestedId, long ttlSeconds, bool owned)
    {
        if (ttlSeconds < 1 || ttlSeconds > _limits.MaxLeaseTtlSeconds)
        {
            return Error(ErrorCode.InvalidArgument, $"Lease TTL must be 1..{_limits.MaxLeaseTtlSeconds} seconds.");
        }

        if (requestedId < 0)
        {
            return Error(ErrorCode.InvalidArgument, "Lease id must be positive.");
        }

        if (_leases.Count >= _limits.MaxLeases)
        {
            return Error(ErrorCode.QuotaExceeded, $"The store holds its maximum of {_limits.MaxLeases} leases.");
        }

        var id = requestedId == 0 ? _nextLeaseId : requestedId;
        if (requestedId == 0 && _leases.ContainsKey(id))
        {
            // Automatic ids only grow; a client that granted id long.MaxValue - 1 by hand used them up.
            return Error(ErrorCode.QuotaExceeded, "Automatic lease ids are exhausted; give lease ids explicitly.");
        }

        if (_leases.ContainsKey(id))
        {
            return Error(ErrorCode.PreconditionFailed, $"Lease {id} already exists.");
        }

        _nextLeaseId = Math.Max(_nextLeaseId, id == long.MaxValue ? long.MaxValue : id + 1);
        _leases = _leases.Add(id, new LeaseState(id, ttlSeconds, ImmutableHashSet<KeyRef>.Empty, owned));
        return new LeaseGrantResult(id, ttlSeconds);
    }

    private CommandResult ApplyLeaseRevoke(LeaseRevokeCommand revoke)
    {
        if (!_leases.TryGetValue(revoke.LeaseId, out var lease))
        {
            return Error(ErrorCode.NotFound, $"Lease {revoke.LeaseId} does not exist.");
        }

        return new LeaseRevokeResult(EndLease(lease, ChangeKind.Delete));
    }

    private CommandResult ApplyLeaseExpire(LeaseExpireCommand expire)
    {
        var expired = new List<long>(expire.LeaseIds.Count);
        long deleted = 0;
        foreach (var id in expire.LeaseIds)
        {
            // The leader may propose an id twice, or one revoked meanwhile: expiring a missing lease is a no-op.
            if (_leases.TryGetValue(id, out var lease))
            {
                deleted += EndLease(lease, ChangeKind.Expire);
                expired.Add(id);
            }
        }

        return new LeaseExpireResult(expired, deleted);
    }

    /// <summary>Deletes every key attached to the lease (one revision for all) and forgets the lease.</summary>
    private long EndLease(LeaseState lease, ChangeKind kind)
    {
        long deleted = 0;

        // Sorted so every replica emits the events in the same order.
        var keys = lease.Keys.OrderBy(k => k.Keyspace, StringComparer.Ordinal).ThenBy(k => k.Key, Collections.ByteKeyComparer.Instance).ToList();
        foreach (var keyRef in keys)
        {
            var ks = _keyspaces[keyRef.Keyspace];
            var head = ks.Head(keyRef.Key);
            Invariant.Assert(head is { IsTombstone: false } && head.Lease == lease.Id);
            WriteVersion(ks, keyRef.Key, head, null, 0, kind);
            deleted++;
        }

        _leases = _leases.Remove(lease.Id);
        return deleted;
    }

    private CommandResult ApplyCompact(CompactCommand compact)
    {
        if (compact.Revision > _revision)
        {
            return Error(ErrorCode.InvalidArgument, $"Cannot compact to revision {compact.Revision}: the current revision is {_revision}.");
        }

        if (compact.Revision > _compactRevision)
        {
            _compactRevision = compact.Revision;
            History.SetCompactRevision(_compactRevision);
        }

        return new CompactResult(_compactRevision);
    }

    private CommandResult ApplyCreateKeyspace(CreateKeyspaceCommand create)
    {
        var config = create.Config;
        if (!KeyspaceConfig.IsValidName(config.Name, _limits.MaxKeyspaceNameLength))
        {
            return Error(ErrorCode.InvalidArgument, $"Keyspace name must be 1..{_limits.MaxKeyspaceNameLength} characters of A-Z a-z 0-9 _ - .");
        }

        if (config.MaxKeyBytes < 0 || config.MaxValueBytes < 0 || config.MaxKeys < 0)
        {
            return Error(ErrorCode.InvalidArgument, "Keyspace limits must not be negative.");
        }

        if (_keyspaces.TryGetValue(config.Name, out var existing))
        {
            // Creating what already exists with the same configuration succeeds, so scripts can run twice.
            return existing.Config == config
                ? new CreateKeyspaceResult(existing.Config)
                : Error(ErrorCode.PreconditionFailed, $"Keyspace '{config.Name}' exists with another configuration.");
        }

        if (_keyspaces.Count >= _limits.MaxKeyspaces)
        {
            return Error(ErrorCode.QuotaExceeded, $"The store holds its maximum of {_limits.MaxKeyspaces} keyspaces.");
        }

        _keyspaces = _keyspaces.Add(config.Name, KeyspaceState.Create(config));
        return new CreateKeyspaceResult(config);
    }

    /// <summary>
    /// Drops history below the compaction revision for up to <paramref name="maxEvents"/> compacted events: cuts version
    /// chains below the version visible at the compaction revision and removes keys whose newest version is an old tombstone.
    /// </summary>
    /// <remarks>
    /// O(1) per trimmed event, whatever the length of the key's chain: each event names the version it made, and that
    /// version is older than the compaction revision, so nothing below it is still needed — a reader at or above the
    /// compaction revision stops at the newest version below it, which is this one or a newer one. Walking the chain
    /// from the head for every event (as before) cost H² per pass for a key overwritten H times within the retention,
    /// and stalled every write behind one hot key.
    /// </remarks>
    private void TrimCompacted(int maxEvents)
    {
        var compact = _compactRevision;
        foreach (var e in History.TakeCompacted(maxEvents))
        {
            var version = e.Current;
            Invariant.Assert(version.ModRevision < compact);
            version.Previous = null;

            // The key's newest version is an old tombstone: nobody at or above the compaction revision sees the key.
            // A delete made exactly at the compaction revision is still an event watchers may ask for: its event is not
            // taken here, so its key stays.
            if (version.IsTombstone
                && _keyspaces.TryGetValue(e.Keyspace, out var ks)
                && ks.Keys.TryGetValue(e.Key, out var head)
                && ReferenceEquals(head, version))
            {
                _keyspaces = _keyspaces.SetItem(ks.Config.Name, ks with { Keys = ks.Keys.Remove(e.Key) });
            }
        }
    }
}
