using Statehouse.Client;

namespace Statehouse.AspNetCore;

/// <summary>Where locks live and how long their leases last.</summary>
public sealed class DistributedLockOptions
{
    /// <summary>Keyspace of the lock keys (default: the client's).</summary>
    public string? Keyspace { get; set; }

    /// <summary>Prefix of the lock keys (default <c>locks/</c>).</summary>
    public string KeyPrefix { get; set; } = "locks/";

    /// <summary>
    /// The lease TTL (default 10 s): how long a lock outlives a holder that died without releasing it. The holder keeps
    /// the lease alive while it runs.
    /// </summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Mutual exclusion across app instances on a Statehouse lease: a lock is a key created only if absent and attached to
/// a lease the holder keeps alive; if the holder dies, the lease expires and the key goes. Every acquisition gets a
/// <see cref="DistributedLockHandle.FencingToken"/> (the key's create revision, strictly increasing): pass it to what
/// the lock protects and let that refuse older tokens — or use <see cref="DistributedLockHandle.Fence"/> in a
/// Statehouse transaction, which then only commits while this acquisition still holds the lock. A lock is never a
/// guarantee by itself: a holder paused past its lease (GC, VM stall) may still believe it holds it; the fence is what
/// keeps its late writes out (the fault lab's lease-lock workload checks exactly that).
/// </summary>
public sealed class DistributedLockProvider(StateClient client, DistributedLockOptions? options = null)
{
    private readonly DistributedLockOptions _options = options ?? new DistributedLockOptions();

    /// <summary>Takes the lock now or returns null.</summary>
    public async Task<DistributedLockHandle?> TryAcquireAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var key = _options.KeyPrefix + name;
        var lease = await client.LeaseGrantAsync(_options.LeaseTtl, cancellationToken: cancellationToken).ConfigureAwait(false);
        TxnResult result;
        try
        {
            result = await client.Txn(_options.Keyspace)
                .If(Compare.Absent(key, _options.Keyspace))
                .Then(Op.Put(key, Environment.MachineName + "/" + Environment.ProcessId, new PutOptions { Keyspace = _options.Keyspace, Lease = lease.LeaseId }))
                .CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Unknown outcome: revoking the lease also drops the key if the create did happen.
            await RevokeQuietlyAsync(lease.LeaseId).ConfigureAwait(false);
            throw;
        }

        if (!result.Succeeded)
        {
            await RevokeQuietlyAsync(lease.LeaseId).ConfigureAwait(false);
            return null;
        }

        return new DistributedLockHandle(client, key, _options.Keyspace, lease.LeaseId, result.Revision, client.StartLeaseKeepAlive(lease.LeaseId, lease.Ttl));
    }

    /// <summary>Waits for the lock until <paramref name="timeout"/>; throws <see cref="TimeoutException"/> when it stays taken.</summary>
    public async Task<DistributedLockHandle> AcquireAsync(string name, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        var delay = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            if (await TryAcquireAsync(name, cancellationToken).ConfigureAwait(false) is { } handle)
            {
                return handle;
            }

            if (DateTime.UtcNow + delay > deadline)
            {
                throw new TimeoutException($"The lock '{name}' stayed taken for {timeout.TotalSeconds:F1} s.");
            }

            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 250) * (0.5 + Random.Shared.NextDouble()));
        }
    }

    private async Task RevokeQuietlyAsync(long lease)
    {
        try
        {
            await client.LeaseRevokeAsync(lease, CancellationToken.None).ConfigureAwait(false);
        }
        catch (StatehouseException)
        {
            // It expires by itself.
        }
    }
}

/// <summary>A held lock. Dispose to release it (the key is deleted only if this acquisition still holds it).</summary>
public sealed class DistributedLockHandle : IAsyncDisposable
{
    private readonly StateClient _client;
    private readonly string? _keyspace;
    private readonly LeaseKeepAlive _keepAlive;
    private int _released;

    internal DistributedLockHandle(StateClient client, string key, string? keyspace, long lease, long token, LeaseKeepAlive keepAlive)
    {
        _client = client;
        Key = key;
        _keyspace = keyspace;
        LeaseId = lease;
        FencingToken = token;
        _keepAlive = keepAlive;
    }

    /// <summary>The lock's key.</summary>
    public string Key { get; }

    /// <summary>The lease that holds the key.</summary>
    public long LeaseId { get; }

    /// <summary>Strictly increasing per acquisition (the lock key's create revision): newer holders have larger tokens.</summary>
    public long FencingToken { get; }

    /// <summary>Fires when the lease could not be kept alive: stop acting as the holder.</summary>
    public CancellationToken Lost => _keepAlive.LostToken;

    /// <summary>
    /// A transaction compare that holds only while this acquisition owns the lock: <c>client.Txn().If(handle.Fence)…</c>
    /// commits nothing once the lock expired or passed to someone else.
    /// </summary>
    public Compare Fence => Compare.CreateRevision(Key, _keyspace) == FencingToken;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        await _keepAlive.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _client.Txn(_keyspace).If(Fence).Then(Op.Delete(Key, new DeleteOptions { Keyspace = _keyspace })).CommitAsync(CancellationToken.None).ConfigureAwait(false);
            await _client.LeaseRevokeAsync(LeaseId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (StatehouseException)
        {
            // Already expired or revoked: nothing is left to release.
        }
    }
}
