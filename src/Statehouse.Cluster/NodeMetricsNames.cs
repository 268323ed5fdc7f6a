namespace Statehouse.Cluster;

/// <summary>Meter names exported by the node, for the server's metrics pipeline.</summary>
public static class NodeMetricsNames
{
    /// <summary>The engine's meter.</summary>
    public const string Node = NodeMetrics.MeterName;
}
