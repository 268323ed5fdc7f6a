using Statehouse.Client;

namespace Statehouse.Cli;

/// <summary>The real <see cref="ICliClient"/>: a <see cref="StateClient"/> whose default keyspace is the command's.</summary>
internal sealed class StateClientAdapter : ICliClient
{
    private readonly StateClient _client;

    public StateClientAdapter(ClientSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new StateClientOptions { DefaultKeyspace = settings.Keyspace, ClientId = "statehouse-cli" };
        foreach (var endpoint in settings.Endpoints)
        {
            options.Endpoints.Add(endpoint);
        }

        if (settings.Timeout is { } timeout)
        {
            options.RequestTimeout = timeout;
            options.MembershipTimeout = timeout;
            options.ConnectTimeout = timeout < options.ConnectTimeout ? timeout : options.ConnectTimeout;
        }

        _client = new StateClient(options);
    }

    public ValueTask<GetResult> GetAsync(string key, ReadOptions options, CancellationToken cancellationToken) =>
        _client.GetAsync(key, options, cancellationToken);

    public ValueTask<PutResult> PutAsync(string key, byte[] value, PutOptions options, CancellationToken cancellationToken) =>
        _client.PutAsync(key, value, options, cancellationToken);

    public ValueTask<DeleteResult> DeleteAsync(KeyRange range, DeleteOptions options, CancellationToken cancellationToken) =>
        _client.DeleteAsync(range, options, cancellationToken);

    public ValueTask<RangePage> RangeAsync(KeyRange range, RangeOptions options, CancellationToken cancellationToken) =>
        _client.RangeAsync(range, options, cancellationToken);

    public ValueTask<IncrementResult> IncrementAsync(string key, long delta, CancellationToken cancellationToken) =>
        _client.IncrementAsync(key, delta, null, cancellationToken);

    public IAsyncEnumerable<WatchEvent> WatchAsync(KeyRange range, WatchOptions options, CancellationToken cancellationToken) =>
        _client.WatchAsync(range, options, cancellationToken);

    public TxnBuilder NewTxn() => _client.Txn();

    public ValueTask<TxnResult> CommitAsync(TxnBuilder txn, CancellationToken cancellationToken) =>
        _client.TxnAsync(txn, cancellationToken);

    public ValueTask<LeaseGrantResult> LeaseGrantAsync(TimeSpan ttl, long leaseId, CancellationToken cancellationToken) =>
        _client.LeaseGrantAsync(ttl, leaseId, cancellationToken);

    public ValueTask<LeaseRevokeResult> LeaseRevokeAsync(long leaseId, CancellationToken cancellationToken) =>
        _client.LeaseRevokeAsync(leaseId, cancellationToken);

    public ValueTask<LeaseKeepAliveResult> LeaseKeepAliveOnceAsync(long leaseId, CancellationToken cancellationToken) =>
        _client.LeaseKeepAliveOnceAsync(leaseId, cancellationToken);

    public ValueTask<LeaseTimeToLiveResult> LeaseTimeToLiveAsync(long leaseId, bool includeKeys, CancellationToken cancellationToken) =>
        _client.LeaseTimeToLiveAsync(leaseId, includeKeys, cancellationToken);

    public ValueTask<LeaseListResult> LeaseListAsync(CancellationToken cancellationToken) =>
        _client.LeaseListAsync(cancellationToken);

    public ValueTask<KeyspaceDefinition> CreateKeyspaceAsync(KeyspaceDefinition definition, CancellationToken cancellationToken) =>
        _client.CreateKeyspaceAsync(definition, cancellationToken);

    public ValueTask<IReadOnlyList<KeyspaceDescription>> ListKeyspacesAsync(CancellationToken cancellationToken) =>
        _client.ListKeyspacesAsync(cancellationToken);

    public ValueTask<StatusInfo> StatusAsync(CancellationToken cancellationToken) => _client.StatusAsync(cancellationToken);

    public ValueTask<SnapshotInfo> SnapshotAsync(CancellationToken cancellationToken) => _client.SnapshotAsync(cancellationToken);

    public ValueTask<CompactResult> CompactAsync(long revision, CancellationToken cancellationToken) =>
        _client.CompactAsync(revision, cancellationToken);

    public ValueTask<ClusterInfo> GetClusterAsync(CancellationToken cancellationToken) => _client.GetClusterAsync(cancellationToken);

    public ValueTask<ClusterInfo> AddMemberAsync(string raftAddress, CancellationToken cancellationToken) =>
        _client.AddMemberAsync(raftAddress, cancellationToken);

    public ValueTask<ClusterInfo> RemoveMemberAsync(string member, CancellationToken cancellationToken) =>
        _client.RemoveMemberAsync(member, cancellationToken);

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
