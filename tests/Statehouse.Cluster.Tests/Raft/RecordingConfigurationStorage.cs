using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.Membership;

namespace Statehouse.Cluster.Tests.Raft;

/// <summary>Records the configurations the log's apply task saves (what RaftCluster would keep as the membership).</summary>
internal sealed class RecordingConfigurationStorage : IClusterConfigurationStorage
{
    private readonly Lock _gate = new();
    private readonly List<(byte[] Content, long Version)> _saved = [];

    public IReadOnlyList<(byte[] Content, long Version)> Saved
    {
        get
        {
            lock (_gate)
            {
                return [.. _saved];
            }
        }
    }

    public async ValueTask<bool> SaveConfigurationAsync<TConfiguration>(TConfiguration configuration, long configurationVersion, CancellationToken token = default)
        where TConfiguration : IDataTransferObject
    {
        var content = await configuration.ToByteArrayAsync(null, token).ConfigureAwait(false);
        lock (_gate)
        {
            _saved.Add((content, configurationVersion));
        }

        return true;
    }

    public ValueTask<(IDataTransferObject Configuration, long Version)> LoadConfigurationAsync(CancellationToken token = default) =>
        throw new NotSupportedException("The log never loads the configuration.");

    public void Dispose()
    {
    }
}
