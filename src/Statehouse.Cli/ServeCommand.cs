using System.CommandLine;
using System.Globalization;
using Statehouse.Core;
using Statehouse.Server;

namespace Statehouse.Cli;

/// <summary><c>statehouse serve</c>: runs a node in this process, alone or as a member of a Raft cluster.</summary>
internal static class ServeCommand
{
    /// <summary>The shortest election timeout accepted: below it, a heartbeat delayed by a GC pause starts an election.</summary>
    public const int MinElectionTimeoutMs = 50;

    public static void Add(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var defaults = new ServerOptions();
        var data = new Option<string>("--data") { Description = "Data directory (log, snapshots).", DefaultValueFactory = _ => "./data" };
        var http = new Option<string>("--http") { Description = "HTTP/JSON endpoint HOST:PORT.", DefaultValueFactory = _ => "127.0.0.1:7070" };
        var grpc = new Option<string>("--grpc") { Description = "gRPC endpoint HOST:PORT.", DefaultValueFactory = _ => "127.0.0.1:7071" };
        var nodeId = new Option<string>("--node-id") { Description = "This node's id.", DefaultValueFactory = _ => "n1" };
        var maxKey = new Option<int>("--max-key-bytes") { Description = "Largest key.", DefaultValueFactory = _ => StoreLimits.Default.MaxKeyBytes };
        var maxValue = new Option<int>("--max-value-bytes") { Description = "Largest value.", DefaultValueFactory = _ => StoreLimits.Default.MaxValueBytes };
        var retention = new Option<long>("--history-revisions") { Description = "Revisions of history kept for watches and reads at a revision.", DefaultValueFactory = _ => 100_000 };
        var retentionMs = new Option<long>("--history-ms") { Description = "History older than this is compacted (0 = by revisions only).", DefaultValueFactory = _ => 600_000 };
        var idempotencyMs = new Option<long>("--idempotency-window-ms") { Description = "How long request ids are remembered.", DefaultValueFactory = _ => StoreLimits.Default.IdempotencyWindowMs };
        var snapshotEntries = new Option<long>("--snapshot-entries") { Description = "Snapshot after this many log entries.", DefaultValueFactory = _ => 100_000 };
        var noSync = new Option<bool>("--unsafe-no-fsync") { Description = "Do not fdatasync the log (benchmarks only: loses acknowledged writes on a crash)." };
        var maxWatchers = new Option<int?>("--max-watchers")
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"Most concurrent watch streams on this node; more get Unavailable (default {defaults.MaxWatchers})."),
            HelpName = "N",
        }.AtLeast(1);
        var maxWatchersPerConnection = new Option<int?>("--max-watchers-per-connection")
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"Most concurrent watch streams one client connection may hold; more get QuotaExceeded (default {defaults.MaxWatchersPerConnection})."),
            HelpName = "N",
        }.AtLeast(1);
        var acceptWalLoss = new Option<bool>("--accept-wal-loss")
        {
            Description = "Start even if the log lost acknowledged writes (missing or damaged segments or snapshots), keeping what is valid. "
                + "Without it such a node refuses to start; in a cluster prefer wiping the folder and re-joining.",
        };
        var walSegmentBytes = new Option<long>("--wal-segment-bytes")
        {
            Description = "Size of a log segment file (at least 64; small values are for tests).",
            DefaultValueFactory = _ => defaults.WalSegmentSizeBytes,
        };
        var logLevel = new Option<string>("--log-level") { Description = "Trace, Debug, Information, Warning, Error.", DefaultValueFactory = _ => "Information" };

        var raft = new Option<string?>("--raft") { Description = "Raft listener HOST:PORT (node to node). Required with --initial-cluster or --join.", HelpName = "HOST:PORT" };
        var peer = new Option<string?>("--peer") { Description = "Peer listener HOST:PORT (node-to-node calls; never exposed on the client ports). Default: the --raft host, port + 1.", HelpName = "HOST:PORT" };
        var membershipCheck = new Option<int?>("--membership-check-interval-ms")
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"How often a follower asks the leader whether it is still in the configuration (default {defaults.MembershipCheckIntervalMs}; 0 = only when told it was removed)."),
            HelpName = "MS",
        }.AtLeast(0);
        var initialCluster = new Option<string?>("--initial-cluster")
        {
            Description = "The founding members' Raft addresses, this node included: id=HOST:PORT,... Only read on first start.",
            HelpName = "id=HOST:PORT,...",
        };
        var join = new Option<string?>("--join") { Description = "HTTP URL(s) of running members that add this node to their cluster.", HelpName = "URL[,URL]" };
        var electionMin = new Option<int?>("--election-timeout-min-ms")
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"Lower bound of the randomized election timeout (default {defaults.ElectionTimeoutMinMs}, at least {MinElectionTimeoutMs})."),
            HelpName = "MS",
        };
        var electionMax = new Option<int?>("--election-timeout-max-ms")
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"Upper bound of the randomized election timeout (default {defaults.ElectionTimeoutMaxMs})."),
            HelpName = "MS",
        };
        var raftTimeout = new Option<int?>("--raft-request-timeout-ms")
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"Raft request timeout; must cover sending a snapshot chunk (default {defaults.RaftRequestTimeoutMs})."),
            HelpName = "MS",
        }.AtLeast(1);
        var maxStaleness = new Option<int?>("--max-staleness-ms")
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"Default bound of bounded-staleness reads (default {defaults.DefaultMaxStalenessMs})."),
            HelpName = "MS",
        }.AtLeast(1);
        var sessionWait = new Option<int?>("--session-wait-ms")
        {
            Description = string.Create(CultureInfo.InvariantCulture, $"How long a session read waits for this replica to reach the client's token before it fails Unavailable (default {defaults.SessionReadWaitMs})."),
            HelpName = "MS",
        }.AtLeast(0);

        var serve = new Command("serve", "Run a Statehouse node with its data in a local folder: alone, or a Raft cluster member with --initial-cluster / --join.")
        {
            data, http, grpc, nodeId, maxKey, maxValue, retention, retentionMs, idempotencyMs, snapshotEntries, noSync, maxWatchers, maxWatchersPerConnection, acceptWalLoss, walSegmentBytes, logLevel,
            raft, peer, membershipCheck, initialCluster, join, electionMin, electionMax, raftTimeout, maxStaleness, sessionWait,
        };
        serve.SetAction(async (parse, cancellationToken) =>
        {
            var options = new ServerOptions
            {
                DataDirectory = parse.GetValue(data)!,
                HttpEndpoint = parse.GetValue(http)!,
                GrpcEndpoint = parse.GetValue(grpc)!,
                NodeId = parse.GetValue(nodeId)!,
                Limits = StoreLimits.Default with
                {
                    MaxKeyBytes = parse.GetValue(maxKey),
                    MaxValueBytes = parse.GetValue(maxValue),
                    IdempotencyWindowMs = parse.GetValue(idempotencyMs),
                },
                HistoryRetentionRevisions = parse.GetValue(retention),
                HistoryRetentionMs = parse.GetValue(retentionMs),
                SnapshotThresholdEntries = parse.GetValue(snapshotEntries),
                SyncWrites = !parse.GetValue(noSync),
                MaxWatchers = parse.GetValue(maxWatchers) ?? defaults.MaxWatchers,
                MaxWatchersPerConnection = parse.GetValue(maxWatchersPerConnection) ?? defaults.MaxWatchersPerConnection,
                AcceptWalLoss = parse.GetValue(acceptWalLoss),
                WalSegmentSizeBytes = parse.GetValue(walSegmentBytes),
                LogLevel = parse.GetValue(logLevel)!,
                MembershipCheckIntervalMs = parse.GetValue(membershipCheck) ?? defaults.MembershipCheckIntervalMs,
            };
            var flags = new ServeClusterFlags
            {
                Raft = parse.GetValue(raft),
                Peer = parse.GetValue(peer),
                InitialCluster = parse.GetValue(initialCluster),
                Join = parse.GetValue(join),
                ElectionTimeoutMinMs = parse.GetValue(electionMin),
                ElectionTimeoutMaxMs = parse.GetValue(electionMax),
                RaftRequestTimeoutMs = parse.GetValue(raftTimeout),
                MaxStalenessMs = parse.GetValue(maxStaleness),
                SessionWaitMs = parse.GetValue(sessionWait),
            };

            // Checked before the node starts, so a typo fails with the usage exit code, not half a cluster.
            options = ApplyClusterFlags(options, flags, out var warnings);
            foreach (var warning in warnings)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"warning: {warning}").ConfigureAwait(false);
            }

            await StatehouseServer.RunAsync(options, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        root.Subcommands.Add(serve);
    }

    /// <summary>
    /// Checks the cluster flags against each other and against the node's own options, and returns the options with
    /// them applied. Flags not given keep the <see cref="ServerOptions"/> defaults.
    /// </summary>
    /// <param name="options">The node's options (its id and endpoints are checked against the flags).</param>
    /// <param name="flags">The flags as given.</param>
    /// <param name="warnings">Flags that are valid but have no effect.</param>
    /// <returns>The options with the cluster settings.</returns>
    /// <exception cref="CliUsageException">A flag is malformed or contradicts another.</exception>
    public static ServerOptions ApplyClusterFlags(ServerOptions options, ServeClusterFlags flags, out IReadOnlyList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(flags);
        var notes = new List<string>();
        warnings = notes;

        string? raft = null;
        if (flags.Raft is not null)
        {
            if (!HostPort.TryParse(flags.Raft, out var address, out _))
            {
                throw new CliUsageException($"--raft '{flags.Raft}' is not HOST:PORT.");
            }

            if (SameAddress(address, options.HttpEndpoint) || SameAddress(address, options.GrpcEndpoint))
            {
                throw new CliUsageException($"--raft {address} is already this node's HTTP or gRPC endpoint; Raft needs a port of its own.");
            }

            raft = address;
        }

        string? peer = null;
        if (flags.Peer is not null)
        {
            if (!HostPort.TryParse(flags.Peer, out var address, out _))
            {
                throw new CliUsageException($"--peer '{flags.Peer}' is not HOST:PORT.");
            }

            if (SameAddress(address, options.HttpEndpoint) || SameAddress(address, options.GrpcEndpoint) || (raft is not null && SameAddress(address, raft)))
            {
                throw new CliUsageException($"--peer {address} is already this node's HTTP, gRPC or Raft endpoint; the peer plane needs a port of its own.");
            }

            peer = address;
        }

        var initial = flags.InitialCluster is null ? [] : ParseInitialCluster(flags.InitialCluster, options.NodeId);
        var join = flags.Join is null ? [] : ParseJoin(flags.Join);
        if (initial.Count > 0 && join.Count > 0)
        {
            throw new CliUsageException("--initial-cluster and --join cannot be used together: found a new cluster, or join a running one.");
        }

        if (raft is not null && initial.Count > 0)
        {
            // The node finds itself in the founding list by its Raft address: a different one would make it a stranger.
            var listed = initial.Single(e => e.StartsWith(options.NodeId + "=", StringComparison.Ordinal))[(options.NodeId.Length + 1)..];
            if (HostPort.TryGetEndPoint(listed, out var listedEndPoint) && HostPort.TryGetEndPoint(raft, out var raftEndPoint) && !listedEndPoint.Equals(raftEndPoint))
            {
                throw new CliUsageException($"--initial-cluster lists this node as {options.NodeId}={listed}, but --raft is {raft}: they must be the same address.");
            }
        }

        var clustered = initial.Count > 0 || join.Count > 0;
        if (clustered && raft is null)
        {
            throw new CliUsageException($"--raft HOST:PORT is required with {(initial.Count > 0 ? "--initial-cluster" : "--join")}.");
        }

        if (!clustered && raft is not null)
        {
            notes.Add("--raft has no effect without --initial-cluster or --join: the node runs alone.");
        }

        if (!clustered && peer is not null)
        {
            notes.Add("--peer has no effect without --initial-cluster or --join: the node runs alone.");
        }

        if (clustered && peer is null && raft is not null)
        {
            // The default peer port (Raft port + 1) must not be one of this node's own client ports.
            var derived = (options with { RaftEndpoint = raft }).EffectivePeerEndpoint;
            if (derived is null || SameAddress(derived, options.HttpEndpoint) || SameAddress(derived, options.GrpcEndpoint))
            {
                throw new CliUsageException($"The default peer listener (the --raft port + 1: {derived ?? "none"}) collides with this node's HTTP or gRPC endpoint; give --peer HOST:PORT.");
            }
        }

        var electionMin = flags.ElectionTimeoutMinMs ?? options.ElectionTimeoutMinMs;
        var electionMax = flags.ElectionTimeoutMaxMs ?? options.ElectionTimeoutMaxMs;
        if (electionMin < MinElectionTimeoutMs)
        {
            throw new CliUsageException(string.Create(CultureInfo.InvariantCulture, $"--election-timeout-min-ms must be at least {MinElectionTimeoutMs}, not {electionMin}."));
        }

        if (electionMin >= electionMax)
        {
            throw new CliUsageException(string.Create(
                CultureInfo.InvariantCulture,
                $"--election-timeout-min-ms ({electionMin}) must be less than --election-timeout-max-ms ({electionMax}): the timeout is drawn between them."));
        }

        var raftTimeout = RequireAtLeast(flags.RaftRequestTimeoutMs ?? options.RaftRequestTimeoutMs, 1, "--raft-request-timeout-ms");
        var maxStaleness = RequireAtLeast(flags.MaxStalenessMs ?? options.DefaultMaxStalenessMs, 1, "--max-staleness-ms");
        var sessionWait = RequireAtLeast(flags.SessionWaitMs ?? options.SessionReadWaitMs, 0, "--session-wait-ms");

        return options with
        {
            RaftEndpoint = raft,
            PeerEndpoint = peer,
            InitialCluster = initial,
            Join = join,
            ElectionTimeoutMinMs = electionMin,
            ElectionTimeoutMaxMs = electionMax,
            RaftRequestTimeoutMs = raftTimeout,
            DefaultMaxStalenessMs = maxStaleness,
            SessionReadWaitMs = sessionWait,
        };
    }

    /// <summary>Parses <c>id=HOST:PORT,...</c> into <c>id=host:port</c> entries: ids and addresses unique, this node listed.</summary>
    internal static IReadOnlyList<string> ParseInitialCluster(string text, string selfId)
    {
        var entries = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (entries.Length == 0)
        {
            throw new CliUsageException("--initial-cluster needs at least one id=HOST:PORT.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        var addresses = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var members = new List<string>(entries.Length);
        foreach (var entry in entries)
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            var id = equals < 0 ? string.Empty : entry[..equals].Trim();
            if (id.Length == 0 || id.Any(char.IsWhiteSpace))
            {
                throw new CliUsageException($"--initial-cluster entry '{entry}' is not id=HOST:PORT (e.g. n1=127.0.0.1:7072).");
            }

            if (!HostPort.TryParse(entry[(equals + 1)..], out var address, out _))
            {
                throw new CliUsageException($"--initial-cluster entry '{entry}': '{entry[(equals + 1)..]}' is not HOST:PORT.");
            }

            if (!ids.Add(id))
            {
                throw new CliUsageException($"--initial-cluster names member '{id}' twice.");
            }

            if (!addresses.Add(address))
            {
                throw new CliUsageException($"--initial-cluster gives the Raft address {address} to two members.");
            }

            members.Add($"{id}={address}");
        }

        if (!ids.Contains(selfId))
        {
            throw new CliUsageException($"--initial-cluster must list this node (--node-id {selfId}) among the members: {string.Join(", ", ids)}.");
        }

        return members;
    }

    /// <summary>Parses <c>URL[,URL]</c> into <c>scheme://host:port</c> strings; <c>HOST:PORT</c> means <c>http://HOST:PORT</c>.</summary>
    internal static IReadOnlyList<string> ParseJoin(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            throw new CliUsageException("--join needs at least one URL of a running member.");
        }

        var urls = new List<string>(parts.Length);
        foreach (var part in parts)
        {
            var candidate = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
            if (!Uri.TryCreate(candidate, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || string.IsNullOrEmpty(uri.Host))
            {
                throw new CliUsageException($"--join '{part}' is not an http:// or https:// URL of a member's HTTP endpoint.");
            }

            var url = uri.GetLeftPart(UriPartial.Authority);
            if (!urls.Contains(url, StringComparer.OrdinalIgnoreCase))
            {
                urls.Add(url);
            }
        }

        return urls;
    }

    private static int RequireAtLeast(int value, int minimum, string flag) =>
        value >= minimum
            ? value
            : throw new CliUsageException(string.Create(CultureInfo.InvariantCulture, $"{flag} must be at least {minimum}, not {value}."));

    private static bool SameAddress(string a, string b) => string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
}
