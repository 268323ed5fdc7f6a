using System.Runtime.CompilerServices;
using Statehouse.Client;

namespace Statehouse.Cli.Tests.Support;

/// <summary>An <see cref="ICliClient"/> that records every call and answers with canned results.</summary>
internal sealed class FakeClient : ICliClient
{
    private static readonly StateClient Unconnected = new(new StateClientOptions());

    public FakeClient(ClientSettings settings) => Settings = settings;

    public ClientSettings Settings { get; }

    /// <summary>The calls, as <c>(name, arguments)</c>, in order.</summary>
    public List<(string Name, object?[] Args)> Calls { get; } = [];

    public bool Disposed { get; private set; }

    public Func<string, ReadOptions, GetResult> Get { get; set; } = (key, _) => new GetResult(Entry(key, "value", 5), 9);

    public Func<string, byte[], PutOptions, PutResult> Put { get; set; } = (_, _, _) => new PutResult(10, null, 0);

    public Func<KeyRange, DeleteOptions, DeleteResult> Delete { get; set; } = (_, _) => new DeleteResult(1, [], 11);

    public Func<KeyRange, RangeOptions, RangePage> Range { get; set; } = (_, _) => new RangePage([], 0, false, null, 12);

    public Func<string, long, IncrementResult> Increment { get; set; } = (_, delta) => new IncrementResult(delta, 13);

    public List<WatchEvent> Events { get; set; } = [];

    /// <summary>Whether the watch waits for cancellation after the last event instead of ending.</summary>
    public bool WatchHangsAtEnd { get; set; } = true;

    public Func<TxnBuilder, TxnResult> Txn { get; set; } = _ => new TxnResult(true, [], 14);

    public Func<long, LeaseKeepAliveResult> KeepAlive { get; set; } = id => new LeaseKeepAliveResult(id, TimeSpan.FromSeconds(9), 15);

    public Func<long, bool, LeaseTimeToLiveResult> TimeToLive { get; set; } =
        (id, keys) => new LeaseTimeToLiveResult(id, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(10), keys ? ["default/a", "default/b"] : [], 16);

    public ClusterInfo Cluster { get; set; } = ThreeNodes();

    /// <summary>When set, every call throws it (before answering).</summary>
    public Exception? Failure { get; set; }

    /// <summary>When set, every unary call waits for cancellation.</summary>
    public bool Hang { get; set; }

    public static KeyValueEntry Entry(string key, string value, long modRevision, long lease = 0) =>
        new(Utf8Text.GetBytes(key), Utf8Text.GetBytes(value), modRevision - 1, modRevision, 2, lease);

    public (string Name, object?[] Args) Single(string name) => Assert.Single(Calls, c => c.Name == name);

    public ValueTask<GetResult> GetAsync(string key, ReadOptions options, CancellationToken cancellationToken) =>
        Answer("Get", () => Get(key, options), cancellationToken, key, options);

    public ValueTask<PutResult> PutAsync(string key, byte[] value, PutOptions options, CancellationToken cancellationToken) =>
        Answer("Put", () => Put(key, value, options), cancellationToken, key, value, options);

    public ValueTask<DeleteResult> DeleteAsync(KeyRange range, DeleteOptions options, CancellationToken cancellationToken) =>
        Answer("Delete", () => Delete(range, options), cancellationToken, range, options);

    public ValueTask<RangePage> RangeAsync(KeyRange range, RangeOptions options, CancellationToken cancellationToken) =>
        Answer("Range", () => Range(range, options), cancellationToken, range, options);

    public ValueTask<IncrementResult> IncrementAsync(string key, long delta, CancellationToken cancellationToken) =>
        Answer("Increment", () => Increment(key, delta), cancellationToken, key, delta);

    public async IAsyncEnumerable<WatchEvent> WatchAsync(KeyRange range, WatchOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Calls.Add(("Watch", [range, options]));
        if (Failure is not null)
        {
            throw Failure;
        }

        foreach (var change in Events)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return change;
        }

        if (WatchHangsAtEnd)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    public TxnBuilder NewTxn() => Unconnected.Txn();

    public ValueTask<TxnResult> CommitAsync(TxnBuilder txn, CancellationToken cancellationToken) => Answer("Commit", () => Txn(txn), cancellationToken, txn);

    public ValueTask<LeaseGrantResult> LeaseGrantAsync(TimeSpan ttl, long leaseId, CancellationToken cancellationToken) =>
        Answer("LeaseGrant", () => new LeaseGrantResult(leaseId == 0 ? 77 : leaseId, ttl, 17), cancellationToken, ttl, leaseId);

    public ValueTask<LeaseRevokeResult> LeaseRevokeAsync(long leaseId, CancellationToken cancellationToken) =>
        Answer("LeaseRevoke", () => new LeaseRevokeResult(2, 18), cancellationToken, leaseId);

    public ValueTask<LeaseKeepAliveResult> LeaseKeepAliveOnceAsync(long leaseId, CancellationToken cancellationToken) =>
        Answer("LeaseKeepAliveOnce", () => KeepAlive(leaseId), cancellationToken, leaseId);

    public ValueTask<LeaseTimeToLiveResult> LeaseTimeToLiveAsync(long leaseId, bool includeKeys, CancellationToken cancellationToken) =>
        Answer("LeaseTimeToLive", () => TimeToLive(leaseId, includeKeys), cancellationToken, leaseId, includeKeys);

    public ValueTask<LeaseListResult> LeaseListAsync(CancellationToken cancellationToken) =>
        Answer("LeaseList", () => new LeaseListResult([5, 6], 19), cancellationToken);

    public ValueTask<KeyspaceDefinition> CreateKeyspaceAsync(KeyspaceDefinition definition, CancellationToken cancellationToken) =>
        Answer("CreateKeyspace", () => definition with { MaxKeyBytes = definition.MaxKeyBytes == 0 ? 1024 : definition.MaxKeyBytes }, cancellationToken, definition);

    public ValueTask<IReadOnlyList<KeyspaceDescription>> ListKeyspacesAsync(CancellationToken cancellationToken) =>
        Answer<IReadOnlyList<KeyspaceDescription>>(
            "ListKeyspaces",
            () => [new KeyspaceDescription(new KeyspaceDefinition("default") { MaxKeyBytes = 1024, MaxValueBytes = 1048576 }, 3, 300),
                   new KeyspaceDescription(new KeyspaceDefinition("carts") { MaxKeys = 50 }, 0, 0)],
            cancellationToken);

    public ValueTask<StatusInfo> StatusAsync(CancellationToken cancellationToken) => Answer(
        "Status",
        () => new StatusInfo
        {
            NodeId = "n1",
            Version = "1.2.3",
            Revision = 42,
            CompactRevision = 7,
            AppliedIndex = 40,
            CommitIndex = 41,
            Keys = 3,
            Bytes = 4096,
            Uptime = new TimeSpan(0, 1, 2, 3),
            Leases = 2,
            Leader = "n1",
            Term = 4,
            SnapshotIndex = 30,
            WalBytes = 123,
        },
        cancellationToken);

    public ValueTask<SnapshotInfo> SnapshotAsync(CancellationToken cancellationToken) =>
        Answer("Snapshot", () => new SnapshotInfo(40, 42, 2048, "/data/snap/40.snap", TimeSpan.FromMilliseconds(12)), cancellationToken);

    public ValueTask<CompactResult> CompactAsync(long revision, CancellationToken cancellationToken) =>
        Answer("Compact", () => new CompactResult(revision == 0 ? 42 : revision, 42), cancellationToken, revision);

    public ValueTask<ClusterInfo> GetClusterAsync(CancellationToken cancellationToken) => Answer("GetCluster", () => Cluster, cancellationToken);

    public ValueTask<ClusterInfo> AddMemberAsync(string raftAddress, CancellationToken cancellationToken) =>
        Answer("AddMember", () => Cluster, cancellationToken, raftAddress);

    public ValueTask<ClusterInfo> RemoveMemberAsync(string member, CancellationToken cancellationToken) =>
        Answer("RemoveMember", () => Cluster, cancellationToken, member);

    /// <summary>A three-node cluster led by n1, seen from n2, with n3 down.</summary>
    public static ClusterInfo ThreeNodes() => new()
    {
        Clustered = true,
        Self = "n2",
        LeaderId = "n1",
        Term = 3,
        Revision = 118,
        Members =
        [
            new ClusterMemberInfo
            {
                Id = "n1", RaftAddress = "127.0.0.1:7072", HttpAddress = "127.0.0.1:7070", GrpcAddress = "127.0.0.1:7071",
                Role = "leader", Available = true, AppliedIndex = 120, CommitIndex = 120, Lag = 0, Revision = 118, Term = 3,
            },
            new ClusterMemberInfo
            {
                Id = "n2", RaftAddress = "127.0.0.1:7082", HttpAddress = "127.0.0.1:7080", GrpcAddress = "127.0.0.1:7081",
                Role = "follower", Available = true, AppliedIndex = 115, CommitIndex = 120, Lag = 5, Revision = 113, Term = 3,
            },
            new ClusterMemberInfo { Id = "n3", RaftAddress = "127.0.0.1:7092", Role = "unknown", Available = false, Lag = -1 },
        ],
    };

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }

    private async ValueTask<T> Answer<T>(string name, Func<T> answer, CancellationToken cancellationToken, params object?[] args)
    {
        Calls.Add((name, args));
        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (Failure is not null)
        {
            throw Failure;
        }

        return answer();
    }

}
