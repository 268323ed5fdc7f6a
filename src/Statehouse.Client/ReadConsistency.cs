namespace Statehouse.Client;

/// <summary>How fresh a read must be, and so which replicas may serve it.</summary>
/// <remarks>
/// Every node serves every level; the levels differ in what the serving node must confirm before it answers.
/// The default is <see cref="StateClientOptions.DefaultReadConsistency"/> (<see cref="Linearizable"/>).
/// </remarks>
public enum ReadConsistency
{
    /// <summary>
    /// Sees every write acknowledged before the read started: the serving node confirms the leader's commit index
    /// (a read index) and waits until it has applied it. The slowest level, the default.
    /// </summary>
    Linearizable = 0,

    /// <summary>
    /// Read-your-writes and monotonic reads: served by any replica whose revision is at least the session token
    /// (<see cref="ReadOptions.MinRevision"/>, or <see cref="StateClient.SessionRevision"/> when that is 0).
    /// </summary>
    Session = 1,

    /// <summary>
    /// At most <see cref="ReadOptions.MaxStaleness"/> (or the server's default bound) behind the leader: served by
    /// any replica that heard from the leader that recently.
    /// </summary>
    Bounded = 2,

    /// <summary>Whatever the serving replica has applied, with no freshness guarantee. The cheapest level.</summary>
    Eventual = 3,
}
