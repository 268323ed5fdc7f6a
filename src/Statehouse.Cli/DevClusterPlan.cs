using System.Globalization;

namespace Statehouse.Cli;

/// <summary>One node of <c>statehouse dev-cluster</c>: where it listens, where its data and log go, how it is started.</summary>
/// <param name="Id">The node id, <c>n1</c>...</param>
/// <param name="DataDirectory">Its data folder.</param>
/// <param name="HttpAddress">Its HTTP/JSON endpoint, <c>host:port</c>.</param>
/// <param name="GrpcAddress">Its gRPC endpoint, <c>host:port</c>.</param>
/// <param name="RaftAddress">Its Raft listener, <c>host:port</c>.</param>
/// <param name="LogPath">Where its standard output and error go.</param>
/// <param name="ServeArgs">The <c>statehouse serve ...</c> arguments that start it.</param>
internal sealed record DevNode(
    string Id,
    string DataDirectory,
    string HttpAddress,
    string GrpcAddress,
    string RaftAddress,
    string LogPath,
    IReadOnlyList<string> ServeArgs);

/// <summary>The pure part of <c>statehouse dev-cluster</c>: ports, folders and command lines of its nodes.</summary>
internal static class DevClusterPlan
{
    public const int MinNodes = 1;
    public const int MaxNodes = 7;
    public const int DefaultNodes = 3;
    public const int DefaultBasePort = 7100;
    public const string DefaultDataDirectory = "./dev-cluster";

    /// <summary>Node I listens on base + Stride * (I - 1): HTTP, then gRPC + 1, then Raft + 2.</summary>
    public const int PortStride = 10;

    public const string Host = "127.0.0.1";

    /// <summary>The nodes of a cluster of <paramref name="nodes"/> on loopback.</summary>
    /// <param name="nodes">How many, <see cref="MinNodes"/> to <see cref="MaxNodes"/>.</param>
    /// <param name="dataDirectory">The parent of the nodes' data folders (node I uses <c>nI</c> inside it) and logs.</param>
    /// <param name="basePort">The first node's HTTP port.</param>
    /// <exception cref="CliUsageException">The count or the port range is out of bounds.</exception>
    public static IReadOnlyList<DevNode> Plan(int nodes, string dataDirectory, int basePort)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        if (nodes is < MinNodes or > MaxNodes)
        {
            throw new CliUsageException(string.Create(CultureInfo.InvariantCulture, $"--nodes must be between {MinNodes} and {MaxNodes}, not {nodes}."));
        }

        var lastPort = (long)basePort + (PortStride * (nodes - 1)) + 2;
        if (basePort < 1 || lastPort > 65535)
        {
            throw new CliUsageException(string.Create(
                CultureInfo.InvariantCulture,
                $"--base-port {basePort} does not leave room for {nodes} nodes: they use ports {basePort}..{lastPort}, which must lie in 1..65535."));
        }

        if (string.IsNullOrWhiteSpace(dataDirectory))
        {
            throw new CliUsageException("--data must not be empty.");
        }

        var ids = Enumerable.Range(1, nodes).Select(i => string.Create(CultureInfo.InvariantCulture, $"n{i}")).ToArray();
        var initialCluster = string.Join(',', ids.Select((id, i) => $"{id}={Address(Port(basePort, i, 2))}"));
        var plan = new DevNode[nodes];
        for (var i = 0; i < nodes; i++)
        {
            var id = ids[i];
            var data = Path.Combine(dataDirectory, id);
            var http = Address(Port(basePort, i, 0));
            var grpc = Address(Port(basePort, i, 1));
            var raft = Address(Port(basePort, i, 2));
            plan[i] = new DevNode(
                id,
                data,
                http,
                grpc,
                raft,
                Path.Combine(dataDirectory, id + ".log"),
                ["serve", "--node-id", id, "--data", data, "--http", http, "--grpc", grpc, "--raft", raft, "--initial-cluster", initialCluster]);
        }

        return plan;
    }

    /// <summary>
    /// The executable and leading arguments that run this CLI again. Under the <c>dotnet</c> host the process path is
    /// the host, so the CLI's assembly goes first; an apphost (<c>statehouse</c>) runs itself.
    /// </summary>
    /// <param name="processPath"><see cref="Environment.ProcessPath"/>.</param>
    /// <param name="entryAssemblyPath">The entry assembly's file (<c>statehouse.dll</c>).</param>
    public static (string FileName, IReadOnlyList<string> LeadingArgs) ChildCommand(string? processPath, string? entryAssemblyPath)
    {
        if (string.IsNullOrEmpty(processPath))
        {
            throw new InvalidOperationException("Cannot tell which executable runs this command (no process path).");
        }

        if (!string.Equals(Path.GetFileNameWithoutExtension(processPath), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return (processPath, []);
        }

        if (string.IsNullOrEmpty(entryAssemblyPath))
        {
            throw new InvalidOperationException("Running under the dotnet host, but the entry assembly's path is unknown.");
        }

        return (processPath, [entryAssemblyPath]);
    }

    /// <summary>The nodes' gRPC endpoints as <c>--endpoint</c> and <c>STATEHOUSE_ENDPOINT</c> take them.</summary>
    public static string EndpointList(IEnumerable<DevNode> nodes) => string.Join(',', nodes.Select(n => "http://" + n.GrpcAddress));

    private static int Port(int basePort, int index, int offset) => basePort + (PortStride * index) + offset;

    private static string Address(int port) => string.Create(CultureInfo.InvariantCulture, $"{Host}:{port}");
}
