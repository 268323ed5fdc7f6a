using Wire = Statehouse.V1;

namespace Statehouse.Client;

public sealed partial class StateClient
{
    /// <summary>Reads the state of the node calls currently go to.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Revisions, log indexes, sizes, leader and term.</returns>
    public async ValueTask<StatusInfo> StatusAsync(CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(
            "Status", new Wire.StatusRequest(), static (invoker, r, o) => new Wire.Maintenance.MaintenanceClient(invoker).StatusAsync(r, o), cancellationToken)
            .ConfigureAwait(false);
        Observe(response.Header);
        return new StatusInfo
        {
            NodeId = response.Header?.NodeId ?? string.Empty,
            Version = response.Version,
            Revision = response.Revision,
            CompactRevision = response.CompactRevision,
            AppliedIndex = response.AppliedIndex,
            CommitIndex = response.CommitIndex,
            Keys = response.Keys,
            Bytes = response.Bytes,
            Uptime = TimeSpan.FromMilliseconds(response.UptimeMs),
            Leases = response.Leases,
            Leader = response.Leader,
            Term = response.Term,
            SnapshotIndex = response.SnapshotIndex,
            WalBytes = response.WalBytes,
        };
    }

    /// <summary>Asks the node to write a snapshot now. Each attempt may take up to <see cref="StateClientOptions.SnapshotTimeout"/>.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Where the snapshot was written and what it covers.</returns>
    public async ValueTask<SnapshotInfo> SnapshotAsync(CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(
            "Snapshot",
            new Wire.SnapshotRequest(),
            static (invoker, r, o) => new Wire.Maintenance.MaintenanceClient(invoker).SnapshotAsync(r, o),
            _options.SnapshotTimeout,
            cancellationToken).ConfigureAwait(false);
        Observe(response.Header);
        return new SnapshotInfo(response.Index, response.Revision, response.Bytes, response.Path, TimeSpan.FromMilliseconds(response.DurationMs));
    }

    /// <summary>Discards history before <paramref name="revision"/>; watches and reads at older revisions then fail with <see cref="StatehouseErrorCode.Compacted"/>.</summary>
    /// <param name="revision">Compact up to (excluding) this revision; 0 means the current revision; negative is refused.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new compact revision.</returns>
    public async ValueTask<CompactResult> CompactAsync(long revision = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        var request = new Wire.CompactRequest { Revision = revision, RequestId = NextRequestId() };
        var response = await CallAsync(
            "Compact", request, static (invoker, r, o) => new Wire.Maintenance.MaintenanceClient(invoker).CompactAsync(r, o), cancellationToken)
            .ConfigureAwait(false);
        Observe(response.Header);
        return new CompactResult(response.CompactRevision, ProtoConvert.Revision(response.Header));
    }

    /// <summary>Creates a keyspace.</summary>
    /// <param name="definition">Its name and limits.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The keyspace as the server configured it (defaults filled in).</returns>
    public async ValueTask<KeyspaceDefinition> CreateKeyspaceAsync(KeyspaceDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentException.ThrowIfNullOrWhiteSpace(definition.Name);
        var request = new Wire.CreateKeyspaceRequest
        {
            Config = new Wire.KeyspaceConfig
            {
                Name = definition.Name,
                MaxKeyBytes = definition.MaxKeyBytes,
                MaxValueBytes = definition.MaxValueBytes,
                MaxKeys = definition.MaxKeys,
            },
            RequestId = NextRequestId(),
        };
        var response = await CallAsync(
            "CreateKeyspace", request, static (invoker, r, o) => new Wire.Maintenance.MaintenanceClient(invoker).CreateKeyspaceAsync(r, o), cancellationToken)
            .ConfigureAwait(false);
        Observe(response.Header);
        return response.Config is null ? definition : ToDefinition(response.Config);
    }

    /// <summary>Lists the keyspaces with their usage.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Every keyspace.</returns>
    public async ValueTask<IReadOnlyList<KeyspaceDescription>> ListKeyspacesAsync(CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(
            "ListKeyspaces", new Wire.ListKeyspacesRequest(), static (invoker, r, o) => new Wire.Maintenance.MaintenanceClient(invoker).ListKeyspacesAsync(r, o), cancellationToken)
            .ConfigureAwait(false);
        Observe(response.Header);
        return response.Keyspaces
            .Select(k => new KeyspaceDescription(ToDefinition(k.Config ?? new Wire.KeyspaceConfig()), k.Keys, k.Bytes))
            .ToArray();
    }

    private static KeyspaceDefinition ToDefinition(Wire.KeyspaceConfig config) => new(config.Name)
    {
        MaxKeyBytes = config.MaxKeyBytes,
        MaxValueBytes = config.MaxValueBytes,
        MaxKeys = config.MaxKeys,
    };
}
