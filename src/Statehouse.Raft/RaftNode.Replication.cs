namespace Statehouse.Raft;

public sealed partial class RaftNode
{
    private readonly Queue<(LogIndex Index, long Bytes)> _proposedBytes = new();
    private long _uncommittedBytes;

    /// <summary>Proposes one command (leader only); it is sent with the next <see cref="Ready"/>.</summary>
    public ProposeResult Propose(ReadOnlyMemory<byte> command) => Propose([command]);

    /// <summary>Proposes commands as consecutive entries of one batch (leader only).</summary>
    public ProposeResult Propose(IReadOnlyList<ReadOnlyMemory<byte>> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        AssertNotInReady();
        if (commands.Count == 0)
        {
            throw new ArgumentException("Nothing to propose.", nameof(commands));
        }

        if (RefuseProposal() is { } refused)
        {
            return refused;
        }

        long bytes = 0;
        var entries = new Entry[commands.Count];
        for (var i = 0; i < commands.Count; i++)
        {
            entries[i] = new Entry(LogIndex.Zero, Term, EntryKind.Command, commands[i]);
            bytes += entries[i].SizeBytes;
        }

        if (_uncommittedBytes > 0 && _uncommittedBytes + bytes > _options.MaxUncommittedBytes)
        {
            return new ProposeResult(ProposeStatus.Busy, LogIndex.Zero, Term, Leader,
                $"{_uncommittedBytes} bytes are proposed and not committed yet (limit {_options.MaxUncommittedBytes}).");
        }

        var first = AppendAsLeader(entries);
        return new ProposeResult(ProposeStatus.Accepted, first, Term, Id);
    }

    private ProposeResult? RefuseProposal()
    {
        if (Role != RaftRole.Leader)
        {
            return new ProposeResult(ProposeStatus.NotLeader, LogIndex.Zero, Term, Leader);
        }

        if (!_leadTransferee.IsNone)
        {
            // §3.10: during a transfer the leader stops taking proposals so the target can catch up.
            return new ProposeResult(ProposeStatus.TransferInProgress, LogIndex.Zero, Term, _leadTransferee);
        }

        return null;
    }

    /// <summary>Appends entries in this term after the last index; returns the first one's index.</summary>
    private LogIndex AppendAsLeader(Entry[] entries)
    {
        var first = _log.LastIndex.Next;
        long bytes = 0;
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = entries[i] with { Index = first + (ulong)i, Term = Term };
            bytes += entries[i].SizeBytes;
        }

        _log.Append(entries);
        _uncommittedBytes += bytes;
        _proposedBytes.Enqueue((entries[^1].Index, bytes));
        _appendsPending = true;
        OnLogChanged();
        if (_progress.TryGetValue(Id, out var self))
        {
            self.Next = _log.LastIndex.Next;
        }

        // A single voter commits on its own once its write is durable (see Advance).
        return first;
    }

    /// <summary>Sends what each follower can take now: new entries, or an empty append that carries the commit.</summary>
    private void FlushAppends()
    {
        if (!_appendsPending)
        {
            return;
        }

        _appendsPending = false;
        foreach (var member in _log.Configuration.Members)
        {
            if (member == Id || !_progress.TryGetValue(member, out var progress))
            {
                continue;
            }

            var sent = false;
            while (SendAppend(member, progress, sendIfEmpty: false))
            {
                sent = true;
            }

            // A probe goes out even without new entries (it finds where the logs match); otherwise an empty append
            // only when the follower has not been told the commit index it can use.
            if (!sent && (progress.State == ProgressState.Probe || progress.SentCommit < LogIndex.Min(progress.Match, _log.Committed)))
            {
                SendAppend(member, progress, sendIfEmpty: true);
            }
        }
    }

    /// <summary>Whether <see cref="FlushAppends"/> would send anything (so HasReady does not report empty work).</summary>
    private bool AnyFollowerCanTakeAppend()
    {
        if (Role != RaftRole.Leader)
        {
            return false;
        }

        var window = (long)_options.SnapshotChunkBytes * _options.MaxInflightSnapshotChunks;
        foreach (var (id, progress) in _progress)
        {
            if (id == Id)
            {
                continue;
            }

            var canTake = progress.State switch
            {
                ProgressState.Probe => !progress.ProbeSent,
                ProgressState.Replicate => !progress.IsPaused
                    && (progress.Next <= _log.LastIndex || progress.SentCommit < LogIndex.Min(progress.Match, _log.Committed)),
                _ => progress.Snapshot is { } snapshot && progress.SnapshotSent < snapshot.SizeBytes
                    && progress.SnapshotSent - progress.SnapshotAcked < window,
            };
            if (canTake)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Sends one Append (or snapshot chunks) to <paramref name="to"/>; false if nothing went out.</summary>
    private bool SendAppend(NodeId to, Progress progress, bool sendIfEmpty)
    {
        if (progress.State == ProgressState.Snapshot)
        {
            SendSnapshotChunks(to, progress);
            return false;
        }

        if (progress.IsPaused)
        {
            return false;
        }

        var previous = progress.Next.Previous;
        var entries = _log.TryGetTerm(previous, out var previousTerm)
            ? _log.Slice(progress.Next, _log.LastIndex.Next, _options.MaxAppendBytes)
            : null;
        if (entries is null)
        {
            // §5.1: what the follower needs was compacted away: send the snapshot instead.
            StartSnapshot(to, progress);
            return false;
        }

        if (entries.Count == 0 && !sendIfEmpty)
        {
            return false;
        }

        long bytes = 0;
        foreach (var entry in entries)
        {
            bytes += entry.SizeBytes;
        }

        Send(NewMessage(MessageKind.Append, to) with
        {
            Index = previous,
            LogTerm = previousTerm,
            Entries = entries,
            Commit = _log.Committed,
        });
        progress.SentCommit = _log.Committed;
        if (progress.State == ProgressState.Replicate)
        {
            if (entries.Count > 0)
            {
                // §10.2.1: pipeline — assume success and move on, within the in-flight window.
                progress.Next = entries[^1].Index.Next;
                progress.Inflights.Add(entries[^1].Index, bytes);
            }
        }
        else
        {
            progress.ProbeSent = true;
        }

        return entries.Count > 0;
    }

    private void HandleAppend(Message m)
    {
        if (m.Index < _log.Committed)
        {
            // Everything up to our commit index matches the leader's log (§3.6): say so, and it resumes from there.
            SendAfterPersist(Reply(m, MessageKind.AppendResponse) with { Index = _log.Committed });
            return;
        }

        var lastNew = _log.MaybeAppend(m.Index, m.LogTerm, m.Commit, m.Entries, IsPlanted(PlantedBug.AcceptMismatchedPrevTerm));
        if (lastNew is { } matched)
        {
            OnLogChanged();

            // §3.8: acknowledge only what is durable.
            var ack = Reply(m, MessageKind.AppendResponse) with { Index = matched };
            if (IsPlanted(PlantedBug.AckBeforePersist))
            {
                Send(ack);
            }
            else
            {
                SendAfterPersist(ack);
            }

            return;
        }

        // §3.5: the previous entry does not match. Hint where to probe: the last entry at or below the mismatch whose
        // term is at most the leader's term there (one round trip per term instead of per entry).
        var (hintIndex, hintTerm) = _log.FindConflictByTerm(LogIndex.Min(m.Index, _log.LastIndex), m.LogTerm);
        Send(Reply(m, MessageKind.AppendResponse) with
        {
            Index = m.Index,
            Reject = true,
            RejectHint = hintIndex,
            LogTerm = hintTerm,
        });
    }

    private void HandleAppendResponse(Message m)
    {
        if (!_progress.TryGetValue(m.From, out var progress))
        {
            return;
        }

        progress.RecentActive = true;
        if (m.Reject)
        {
            // Where the leader should probe next: the follower's hint, moved back to where our terms agree.
            var next = m.RejectHint;
            if (m.LogTerm > Term.Zero)
            {
                next = _log.FindConflictByTerm(m.RejectHint, m.LogTerm).Index;
            }

            if (progress.MaybeDecrement(m.Index, next))
            {
                if (progress.State == ProgressState.Replicate)
                {
                    progress.BecomeProbe();
                }

                SendAppend(m.From, progress, sendIfEmpty: true);
            }

            return;
        }

        // A probe answered at the match index already known (after a snapshot, or a probe resent at the match) says
        // the logs agree there: stream again, rather than wait paused for the next heartbeat's answer.
        var probeMatched = progress.State == ProgressState.Probe && progress.Match == m.Index;
        if (!progress.MaybeUpdate(m.Index) && !probeMatched)
        {
            return;
        }

        switch (progress.State)
        {
            case ProgressState.Probe:
                progress.BecomeReplicate();
                break;
            case ProgressState.Snapshot when progress.Snapshot is { } snapshot && progress.Match >= snapshot.Index:
                progress.BecomeProbe();
                break;
            case ProgressState.Replicate:
                progress.Inflights.FreeTo(m.Index);
                break;
        }

        // Whatever changed (commit, window, match), the next flush sends what this follower can take now,
        // including an empty append that tells it the new commit index.
        MaybeCommit();
        if (Role != RaftRole.Leader)
        {
            // The commit stepped this leader down (it removed itself, §4.2.2): it has nothing more to send.
            return;
        }

        _appendsPending = true;

        if (m.From == _leadTransferee && progress.Match == _log.LastIndex)
        {
            SendTimeoutNow(m.From);
        }
    }

    private void HandleHeartbeat(Message m)
    {
        // The leader sends min(our match, its commit), so this never runs past what we hold.
        _log.CommitTo(m.Commit);

        // Our last index lets the leader notice appends that never arrived (it then probes again).
        Send(Reply(m, MessageKind.HeartbeatResponse) with { Context = m.Context, Index = _log.LastIndex });
    }

    private void HandleHeartbeatResponse(Message m)
    {
        if (!_progress.TryGetValue(m.From, out var progress))
        {
            return;
        }

        progress.RecentActive = true;
        progress.ProbeSent = false;
        if (progress.State == ProgressState.Replicate && m.Index < progress.Next.Previous && progress.Match < _log.LastIndex)
        {
            // Appends sent before this heartbeat did not arrive (lost, or the follower restarted): probe again.
            progress.BecomeProbe();
        }

        if (m.Context > progress.AckedRound)
        {
            progress.AckedRound = m.Context;
        }

        if (progress.State == ProgressState.Replicate && progress.Match < _log.LastIndex)
        {
            // The answers to appends that did arrive may have been lost: with a full window we would wait forever, and
            // with nothing new to send we would never learn the follower caught up (nor tell it the commit index).
            // Free one slot (as etcd-io/raft does) and send an append, empty if need be: its answer gives the match,
            // or a rejection that turns this into a probe.
            progress.Inflights.FreeFirstOne();
            SendAppend(m.From, progress, sendIfEmpty: true);
        }

        if (progress.Match < _log.LastIndex || progress.State == ProgressState.Snapshot)
        {
            _appendsPending = true;
        }

        ReleaseConfirmedReads();
    }

    /// <summary>
    /// §3.6.2: commit the highest index a quorum of voters holds, but only if that entry is of the current term;
    /// earlier entries are then committed indirectly (Figure 3.7 shows why counting replicas is not enough).
    /// </summary>
    private bool MaybeCommit()
    {
        var configuration = _log.Configuration;
        Span<ulong> matches = stackalloc ulong[configuration.Voters.Count];
        var count = 0;
        foreach (var voter in configuration.Voters)
        {
            matches[count++] = _progress.TryGetValue(voter, out var progress) ? progress.Match.Value : 0;
        }

        matches.Sort();
        var quorumMatch = new LogIndex(matches[count - configuration.QuorumSize]);
        if (quorumMatch <= _log.Committed)
        {
            return false;
        }

        if (!_log.TryGetTerm(quorumMatch, out var term))
        {
            return false;
        }

        if (term != Term && !IsPlanted(PlantedBug.CommitPreviousTermByCount))
        {
            return false;
        }

        _log.CommitTo(quorumMatch);
        while (_proposedBytes.Count > 0 && _proposedBytes.Peek().Index <= quorumMatch)
        {
            _uncommittedBytes -= _proposedBytes.Dequeue().Bytes;
        }

        Invariant.Assert(_uncommittedBytes >= 0);
        OnCommitted();
        return true;
    }
}
