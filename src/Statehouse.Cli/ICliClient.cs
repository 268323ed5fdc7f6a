using Statehouse.Client;

namespace Statehouse.Cli;

/// <summary>
/// The calls the CLI makes, bound to one keyspace: the seam between the commands and <see cref="StateClient"/>, so
/// that commands can be tested without a node.
/// </summary>
internal interface ICliClient : IAsyncDisposable
{
    ValueTask<GetResult> GetAsync(string key, ReadOptions options, CancellationToken cancellationToken);

    ValueTask<PutResult> PutAsync(string key, byte[] value, PutOptions options, CancellationToken cancellationToken);

    ValueTask<DeleteResult> DeleteAsync(KeyRange range, DeleteOptions options, CancellationToken cancellationToken);

    ValueTask<RangePage> RangeAsync(KeyRange range, RangeOptions options, CancellationToken cancellationToken);

    ValueTask<IncrementResult> IncrementAsync(string key, long delta, CancellationToken cancellationToken);

    IAsyncEnumerable<WatchEvent> WatchAsync(KeyRange range, WatchOptions options, CancellationToken cancellationToken);

    /// <summary>A transaction builder bound to the client; send it with <see cref="CommitAsync"/>.</summary>
    TxnBuilder NewTxn();

    ValueTask<TxnResult> CommitAsync(TxnBuilder txn, CancellationToken cancellationToken);

    ValueTask<LeaseGrantResult> LeaseGrantAsync(TimeSpan ttl, long leaseId, CancellationToken cancellationToken);

    ValueTask<LeaseRevokeResult> LeaseRevokeAsync(long leaseId, CancellationToken cancellationToken);

    ValueTask<LeaseKeepAliveResult> LeaseKeepAliveOnceAsync(long leaseId, CancellationToken cancellationToken);

    ValueTask<LeaseTimeToLiveResult> LeaseTimeToLiveAsync(long leaseId, bool includeKeys, CancellationToken cancellationToken);

    ValueTask<LeaseListResult> LeaseListAsync(CancellationToken cancellationToken);

    ValueTask<KeyspaceDefinition> CreateKeyspaceAsync(KeyspaceDefinition definition, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<KeyspaceDescription>> ListKeyspacesAsync(CancellationToken cancellationToken);

    ValueTask<StatusInfo> StatusAsync(CancellationToken cancellationToken);

    ValueTask<SnapshotInfo> SnapshotAsync(CancellationToken cancellationToken);

    ValueTask<CompactResult> CompactAsync(long revision, CancellationToken cancellationToken);

    ValueTask<ClusterInfo> GetClusterAsync(CancellationToken cancellationToken);

    ValueTask<ClusterInfo> AddMemberAsync(string raftAddress, CancellationToken cancellationToken);

    ValueTask<ClusterInfo> RemoveMemberAsync(string member, CancellationToken cancellationToken);
}
