namespace Statehouse.Raft;

/// <summary>
/// Membership changes, one member at a time (§4.1–4.3), and leadership transfer (§3.10).
/// </summary>
/// <remarks>
/// Why single-member changes and not joint consensus: any two majorities of configurations that differ by one voter
/// overlap, so no two leaders can be elected in one term whatever mix of old and new configuration members use; the
/// rules that keep that true are (1) a member uses the latest configuration in its log, committed or not (§4.1);
/// (2) a leader proposes a change only when the previous one is committed (§4.1); (3) a leader proposes a change only
/// after it has committed an entry of its own term (the fix to the single-server change bug, Ongaro, raft-dev 2015).
/// Replacing a member is two changes (add a learner, promote it, remove the old one), each safe on its own.
/// </remarks>
public sealed partial class RaftNode
{
    private NodeId _leadTransferee;

    /// <summary>Proposes a membership change (leader only); it takes effect as soon as it is in the log (§4.1).</summary>
    public ProposeResult ProposeConfigChange(ConfigChange change)
    {
        AssertNotInReady();
        if (RefuseProposal() is { } refused)
        {
            return refused;
        }

        if (_log.ConfigurationIndex > _log.Committed)
        {
            return ConfigRefused($"The previous membership change (index {_log.ConfigurationIndex.Value}) is not committed yet.");
        }

        if (!CommittedInCurrentTerm)
        {
            return ConfigRefused("The leader has not committed an entry of its term yet; retry shortly.");
        }

        if (!_log.Configuration.TryApply(change, out var result, out var error))
        {
            return ConfigRefused(error!);
        }

        if (change.Kind == ConfigChangeKind.PromoteLearner)
        {
            // A learner is promoted only once it has caught up, so the new quorum does not wait on it (§4.2.1).
            var match = _progress.TryGetValue(change.Node, out var progress) ? progress.Match : LogIndex.Zero;
            var behind = _log.LastIndex - LogIndex.Min(match, _log.LastIndex);
            if (behind > _options.PromotionLagEntries)
            {
                return ConfigRefused($"{change.Node} is {behind} entries behind (at most {_options.PromotionLagEntries} to be promoted).");
            }
        }

        // The entry carries the resulting membership too, for members that joined with an empty configuration.
        var first = AppendAsLeader([new Entry(LogIndex.Zero, Term, EntryKind.ConfigChange, change.Encode(result))]);
        return new ProposeResult(ProposeStatus.Accepted, first, Term, Id);
    }

    /// <summary>Hands leadership to <paramref name="target"/> (§3.10): brings it up to date, then tells it to campaign.</summary>
    /// <returns>Null when the transfer started (or <paramref name="target"/> already leads); otherwise why not.</returns>
    public string? TransferLeadership(NodeId target)
    {
        AssertNotInReady();
        if (Role != RaftRole.Leader)
        {
            return Leader == target && !target.IsNone ? null : "Only the leader can hand over leadership.";
        }

        if (target == Id)
        {
            return null;
        }

        if (!_log.Configuration.IsVoter(target))
        {
            return $"{target} is not a voter.";
        }

        if (_leadTransferee == target)
        {
            return null;
        }

        _leadTransferee = target;
        _electionElapsed = 0;

        // The target will win an election that ignores leases: from here on this term serves no lease read.
        _leaseDisabledInTerm = true;
        var progress = _progress[target];
        if (progress.Match == _log.LastIndex)
        {
            SendTimeoutNow(target);
        }
        else
        {
            _appendsPending = true;
        }

        return null;
    }

    private void SendTimeoutNow(NodeId target) => Send(NewMessage(MessageKind.TimeoutNow, target));

    private ProposeResult ConfigRefused(string error) =>
        new(ProposeStatus.ConfigChangeRefused, LogIndex.Zero, Term, Leader, error);

    /// <summary>After the log changed: follow the configuration it now implies.</summary>
    private void OnLogChanged()
    {
        var configuration = _log.Configuration;
        if (ReferenceEquals(configuration, _trackedConfiguration))
        {
            return;
        }

        _trackedConfiguration = configuration;
        if (Role == RaftRole.Leader)
        {
            foreach (var member in configuration.Members)
            {
                if (!_progress.ContainsKey(member))
                {
                    AddProgress(member);
                }
            }

            foreach (var member in _progress.Keys.ToArray())
            {
                if (!configuration.Contains(member))
                {
                    _progress.Remove(member);
                }
            }

            if (!_leadTransferee.IsNone && !configuration.IsVoter(_leadTransferee))
            {
                _leadTransferee = NodeId.None;
            }

            // Fewer voters may mean a smaller quorum has already replicated more.
            if (MaybeCommit() && Role == RaftRole.Leader)
            {
                _appendsPending = true;
            }
        }
        else if (Role is RaftRole.Candidate or RaftRole.PreCandidate && !configuration.IsVoter(Id))
        {
            BecomeFollower(Term, NodeId.None);
        }
    }

    /// <summary>After the leader's commit index moved.</summary>
    private void OnCommitted()
    {
        ReleaseReadsAwaitingTermCommit();

        // §4.2.2: a leader that removed itself leads until that change commits, then steps down.
        if (!_log.Configuration.IsVoter(Id) && _log.ConfigurationIndex <= _log.Committed)
        {
            BecomeFollower(Term, NodeId.None);
        }
    }
}
