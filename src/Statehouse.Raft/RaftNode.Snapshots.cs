namespace Statehouse.Raft;

/// <summary>
/// Snapshot transfer (§5.1), in chunks: the leader streams a window of chunks and the follower acknowledges the bytes
/// it holds, so a transfer resumes from the last acknowledged byte after a loss, a delay or a leader's pause, and no
/// timeout depends on the snapshot's size. A chunk the follower already holds is acknowledged, never appended again.
/// </summary>
public sealed partial class RaftNode
{
    private readonly List<SnapshotChunk> _chunksToPersist = [];
    private SnapshotMeta? _incoming;
    private long _incomingBytes;

    private void StartSnapshot(NodeId to, Progress progress)
    {
        var snapshot = _storage.Snapshot;
        Invariant.Assert(snapshot is not null, "entries were compacted without a snapshot to replace them");
        Invariant.Assert(snapshot.SizeBytes > 0, "a snapshot's data is never empty");
        progress.BecomeSnapshot(snapshot);
        SendSnapshotChunks(to, progress);
    }

    private void SendSnapshotChunks(NodeId to, Progress progress)
    {
        var snapshot = progress.Snapshot!;
        var window = (long)_options.SnapshotChunkBytes * _options.MaxInflightSnapshotChunks;
        while (progress.SnapshotSent < snapshot.SizeBytes && progress.SnapshotSent - progress.SnapshotAcked < window)
        {
            var length = (int)Math.Min(_options.SnapshotChunkBytes, snapshot.SizeBytes - progress.SnapshotSent);
            if (!_storage.TryReadSnapshotChunk(snapshot, progress.SnapshotSent, length, out var chunk))
            {
                // The host replaced that snapshot: start over with the newest one.
                var newest = _storage.Snapshot;
                Invariant.Assert(newest is not null && !newest.SameSnapshot(snapshot), "the host lost its only snapshot");
                progress.BecomeSnapshot(newest);
                snapshot = newest;
                continue;
            }

            Invariant.Assert(chunk.Length == length, "the host read a short snapshot chunk");
            Send(NewMessage(MessageKind.Snapshot, to) with
            {
                Snapshot = snapshot,
                SnapshotOffset = progress.SnapshotSent,
                SnapshotData = chunk,
                SnapshotDone = progress.SnapshotSent + length == snapshot.SizeBytes,
            });
            progress.SnapshotSent += length;
        }
    }

    private void TickSnapshots()
    {
        foreach (var (id, progress) in _progress)
        {
            if (progress.State != ProgressState.Snapshot)
            {
                continue;
            }

            progress.SnapshotIdleTicks++;
            if (progress.SnapshotIdleTicks >= _options.SnapshotRetryTicks)
            {
                // No progress for a while (lost chunks or acknowledgements): resend from what the follower holds.
                progress.SnapshotIdleTicks = 0;
                progress.SnapshotSent = progress.SnapshotAcked;
                _appendsPending = true;
            }
        }
    }

    private void HandleSnapshotResponse(Message m)
    {
        if (!_progress.TryGetValue(m.From, out var progress))
        {
            return;
        }

        progress.RecentActive = true;
        if (m.SnapshotDone)
        {
            // The follower holds everything up to m.Index (the snapshot, or entries it already had).
            progress.MaybeUpdate(m.Index);
            if (progress.State == ProgressState.Snapshot)
            {
                progress.BecomeProbe();
            }

            _appendsPending = true;
            return;
        }

        if (progress.State != ProgressState.Snapshot || !progress.Snapshot!.SameSnapshot(m.Snapshot))
        {
            return;
        }

        if (m.Reject)
        {
            // The follower holds a different prefix (it restarted, or took another snapshot): resume from there.
            progress.SnapshotAcked = m.SnapshotOffset;
            progress.SnapshotSent = m.SnapshotOffset;
            progress.SnapshotIdleTicks = 0;
        }
        else if (m.SnapshotOffset > progress.SnapshotAcked)
        {
            progress.SnapshotAcked = m.SnapshotOffset;
            progress.SnapshotSent = Math.Max(progress.SnapshotSent, m.SnapshotOffset);
            progress.SnapshotIdleTicks = 0;
        }

        _appendsPending = true;
    }

    private void HandleSnapshot(Message m)
    {
        var snapshot = m.Snapshot;
        Invariant.Assert(snapshot is not null, "a snapshot message without its snapshot");
        if (snapshot.Index <= _log.Committed || _log.MatchTerm(snapshot.Index, snapshot.Term))
        {
            // §5.1 receiver rule 6: we already hold what it covers; keep the log, just catch up the commit index.
            _log.CommitTo(LogIndex.Max(_log.Committed, LogIndex.Min(snapshot.Index, _log.LastIndex)));
            _incoming = null;
            SendAfterPersist(Reply(m, MessageKind.SnapshotResponse) with
            {
                Snapshot = snapshot,
                Index = _log.Committed,
                SnapshotOffset = snapshot.SizeBytes,
                SnapshotDone = true,
            });
            return;
        }

        if (_log.PendingSnapshot is not null)
        {
            // A complete snapshot waits for the host to install it: a chunk of another one would start a new staging
            // area and drop the data that install needs. The leader resends it (SnapshotRetryTicks) once this is done.
            return;
        }

        if (!snapshot.SameSnapshot(_incoming))
        {
            if (m.SnapshotOffset != 0)
            {
                // Not the snapshot we are building: ask for it from the start.
                Send(SnapshotProgress(m, holds: 0) with { Reject = true });
                return;
            }

            _incoming = snapshot;
            _incomingBytes = 0;
        }

        if (m.SnapshotOffset < _incomingBytes && !IsPlanted(PlantedBug.SnapshotChunkAppliedTwice))
        {
            // A duplicate (resent or duplicated on the way): we hold it already.
            SendAfterPersist(SnapshotProgress(m, _incomingBytes));
            return;
        }

        if (m.SnapshotOffset > _incomingBytes)
        {
            // A gap (an earlier chunk was lost): resume from what we hold.
            Send(SnapshotProgress(m, _incomingBytes) with { Reject = true });
            return;
        }

        _chunksToPersist.Add(new SnapshotChunk(snapshot, _incomingBytes, m.SnapshotData));
        _incomingBytes += m.SnapshotData.Length;
        if (!m.SnapshotDone)
        {
            SendAfterPersist(SnapshotProgress(m, _incomingBytes));
            return;
        }

        Invariant.Assert(_incomingBytes == snapshot.SizeBytes || IsPlanted(PlantedBug.SnapshotChunkAppliedTwice),
            "a complete snapshot has the size its description says");

        // §5.1 receiver rule 7: the snapshot replaces the whole log.
        _log.Restore(snapshot);
        _incoming = null;
        _incomingBytes = 0;
        OnLogChanged();
        SendAfterPersist(Reply(m, MessageKind.SnapshotResponse) with
        {
            Snapshot = snapshot,
            Index = snapshot.Index,
            SnapshotOffset = snapshot.SizeBytes,
            SnapshotDone = true,
        });
    }

    private Message SnapshotProgress(Message m, long holds) =>
        Reply(m, MessageKind.SnapshotResponse) with { Snapshot = m.Snapshot, Index = m.Snapshot!.Index, SnapshotOffset = holds };
}
