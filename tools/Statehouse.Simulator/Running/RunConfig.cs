using System.Globalization;
using Statehouse.Raft;
using Statehouse.Replication;
using Statehouse.Simulator.Core;
using Statehouse.Simulator.Faults;

namespace Statehouse.Simulator.Running;

/// <summary>
/// Everything a run is made of besides its fault schedule: cluster shape, core options, clocks, network, disks and
/// workload. Drawn from the seed's config stream (<see cref="Generate"/>), so a seed names the whole run.
/// </summary>
internal sealed record RunConfig
{
    /// <summary>The seed every stream of the run derives from.</summary>
    public required long Seed { get; init; }

    /// <summary>Physical nodes (each hosts one member of some or all groups).</summary>
    public required int Nodes { get; init; }

    /// <summary>Replica groups.</summary>
    public required int Groups { get; init; }

    /// <summary>The bug planted in every core, or none.</summary>
    public PlantedBug Plant { get; init; }

    /// <summary>Which engine runs the members: the model host per member (the core's own proof, issue 12) or the real replica host per node (issue 13).</summary>
    public SimEngine Engine { get; init; }

    /// <summary>Planted host bugs (host engine only).</summary>
    public HostPlantedBug HostPlant { get; init; }

    /// <summary>The run's flavour.</summary>
    public FaultMix Mix { get; init; }

    /// <summary>Voters each group starts with (on nodes 1..VotersPerGroup).</summary>
    public int VotersPerGroup { get; init; } = 3;

    /// <summary>Length of the faulty phase (faults, workloads), simulated µs.</summary>
    public long FaultPhaseUs { get; init; } = 4_000_000;

    /// <summary>
    /// The quiet phase after it (healed, restarted, no new operations) ends as soon as every group has converged
    /// (checked every <see cref="ConvergenceCheckUs"/> from <see cref="MinQuietUs"/> on); not converged by this long
    /// after the faults stopped is a liveness failure.
    /// </summary>
    public long MaxQuietUs { get; init; } = 10_000_000;

    /// <summary>Quiet time before the first convergence check (every client operation has timed out or finished by then).</summary>
    public long MinQuietUs { get; init; } = 300_000;

    public long ConvergenceCheckUs { get; init; } = 50_000;

    /// <summary>Nominal tick interval; a node's own interval is this divided by its clock rate.</summary>
    public long TickUs { get; init; } = 10_000;

    /// <summary>Each node's clock rate (1 = nominal; faster clocks tick more often). Within the drift bound when leases are on.</summary>
    public required double[] ClockRates { get; init; }

    public int ElectionTicks { get; init; } = 10;

    public int HeartbeatTicks { get; init; } = 1;

    public bool PreVote { get; init; } = true;

    public bool CheckQuorum { get; init; } = true;

    /// <summary>The drift bound given to the core when lease reads are on; null = no lease reads.</summary>
    public double? LeaseDriftRatio { get; init; }

    public long MaxAppendBytes { get; init; } = 1 << 20;

    public int MaxInflightAppends { get; init; } = 256;

    public long MaxCommittedBytesPerReady { get; init; } = 8L << 20;

    public int SnapshotChunkBytes { get; init; } = 1 << 20;

    public int MaxInflightSnapshotChunks { get; init; } = 4;

    public int SnapshotRetryTicks { get; init; } = 10;

    /// <summary>A host snapshots its state machine and compacts its log every this many applied entries.</summary>
    public int SnapshotEveryEntries { get; init; } = 50;

    /// <summary>Inputs (messages, ticks, requests) a host hands its core before it asks for a Ready (1 = after each).</summary>
    public int MaxInputsPerReady { get; init; } = 1;

    /// <summary>Inputs that may queue at a busy host; more are dropped (counted), like a full socket buffer.</summary>
    public int HostInboxCapacity { get; init; } = 4096;

    public int DropPermille { get; init; }

    public int DuplicatePermille { get; init; }

    public long DelayMinUs { get; init; } = 100;

    public long DelayMaxUs { get; init; } = 1_000;

    /// <summary>Messages that take a long detour (‰), up to <see cref="SlowMessageMaxUs"/>.</summary>
    public int SlowMessagePermille { get; init; }

    public long SlowMessageMaxUs { get; init; } = 30_000;

    public long SyncMinUs { get; init; } = 50;

    public long SyncMaxUs { get; init; } = 300;

    public long SlowSyncMinUs { get; init; } = 2_000;

    public long SlowSyncMaxUs { get; init; } = 30_000;

    /// <summary>Mean gap between faults (exponential inter-arrival).</summary>
    public long MeanFaultGapUs { get; init; } = 250_000;

    public int RegisterClients { get; init; } = 3;

    public int BankClients { get; init; } = 2;

    /// <summary>How many of the register clients only read (they stay with the leader they believe in, as readers do).</summary>
    public int ReaderClients { get; init; }

    /// <summary>Register keys per group.</summary>
    public int Keys { get; init; } = 2;

    /// <summary>Bank accounts per group.</summary>
    public int Accounts { get; init; } = 4;

    public long InitialBalance { get; init; } = 100;

    public long ClientTimeoutUs { get; init; } = 150_000;

    public long ThinkMinUs { get; init; } = 1_000;

    public long ThinkMaxUs { get; init; } = 10_000;

    /// <summary>Reads a client sends to a random node instead of the leader it believes in (follower ReadIndex).</summary>
    public int FollowerReadPercent { get; init; } = 20;

    /// <summary>Events a run may process before it is declared runaway (a simulator bug).</summary>
    public long MaxEvents { get; init; } = 20_000_000;

    /// <summary>Simulated end of the run.</summary>
    public long EndUs => FaultPhaseUs + MaxQuietUs;

    /// <summary>Draws a run's configuration from its seed (the config stream).</summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="nodes">Nodes (1-9).</param>
    /// <param name="groups">Groups (1-16).</param>
    /// <param name="plant">The bug planted in every core.</param>
    /// <param name="mix">Forces a mix; null lets the seed choose.</param>
    /// <param name="engine">What runs the members (it draws nothing from the seed: both engines see the same run).</param>
    /// <param name="hostPlant">The bug planted in every replica host (host engine).</param>
    public static RunConfig Generate(long seed, int nodes, int groups, PlantedBug plant, FaultMix? mix = null, SimEngine engine = SimEngine.Model, HostPlantedBug hostPlant = HostPlantedBug.None)
    {
        SimulatorAssert.That(nodes is >= 1 and <= 9, "1 to 9 nodes");
        SimulatorAssert.That(groups is >= 1 and <= 16, "1 to 16 groups");
        var r = Seeds.Stream(seed, StreamKind.Config);
        var chosen = mix ?? (FaultMix)r.Next(7);
        var divergence = chosen == FaultMix.Divergence;
        var lease = chosen == FaultMix.Leases || (chosen == FaultMix.Everything && r.Next(4) == 0);
        var leaseMix = chosen == FaultMix.Leases;

        // A wide drift bound and a long election timeout make the margin the bound buys (E·(1 − 1/(1+d)) ticks) wide
        // enough that a lease trusting the whole timeout is caught; the bound itself keeps the core safe.
        var drift = leaseMix ? 0.25 + (0.2 * r.NextDouble()) : lease ? 0.1 + (0.2 * r.NextDouble()) : (double?)null;
        var rates = new double[nodes];
        var slow = r.Next(nodes);
        for (var i = 0; i < nodes; i++)
        {
            // With leases, one clock is slow and the others run as fast as the bound admits (just inside it): the worst
            // case for the slow node's lease, since its voters' clocks time out early.
            rates[i] = drift is { } d ? (i == slow ? 1 : 1 + (d * 0.995)) : 1 + (0.3 * r.NextDouble());
        }

        var electionTicks = leaseMix ? 30 : lease ? 20 : divergence ? 6 + r.Next(5) : 8 + r.Next(13);
        var snapshots = chosen == FaultMix.Snapshots;
        return new RunConfig
        {
            Seed = seed,
            Nodes = nodes,
            Groups = groups,
            Plant = plant,
            Engine = engine,
            HostPlant = hostPlant,
            Mix = chosen,
            VotersPerGroup = nodes <= 3 ? nodes : (r.Next(2) == 0 ? 3 : Math.Min(5, nodes)),
            ClockRates = rates,
            ElectionTicks = electionTicks,
            HeartbeatTicks = 1 + r.Next(Math.Min(3, electionTicks / 4)),
            PreVote = chosen == FaultMix.Churn ? r.Next(2) == 0 : r.Next(5) != 0,
            CheckQuorum = lease || r.Next(7) != 0,
            LeaseDriftRatio = drift,
            // 1 byte: one entry per Append (at least one is always sent), so a new leader's catch-up of older terms'
            // entries takes one round trip per entry — the window where counting replicas would commit them.
            MaxAppendBytes = divergence ? 1 : r.Next(5) switch { 0 => 1, 1 => 64, 2 => 512, _ => 1 << 20 },
            MaxInflightAppends = divergence ? 1 + r.Next(4) : r.Next(3) switch { 0 => 1, 1 => 4, _ => 256 },
            MaxCommittedBytesPerReady = r.Next(3) == 0 ? 128 : 8L << 20,
            SnapshotChunkBytes = snapshots ? 8 + r.Next(40) : 32 + r.Next(480),
            MaxInflightSnapshotChunks = 1 + r.Next(4),
            SnapshotRetryTicks = 3 + r.Next(8),
            SnapshotEveryEntries = snapshots ? 5 + r.Next(16) : 20 + r.Next(81),
            MaxInputsPerReady = r.Next(2) == 0 ? 1 : 2 + r.Next(7),
            DropPermille = r.Next(3) == 0 ? 0 : r.Next(21),
            DuplicatePermille = snapshots ? 50 + r.Next(101) : r.Next(31),
            DelayMinUs = 50 + r.Next(150),
            DelayMaxUs = 500 + r.Next(2_500),
            SlowMessagePermille = r.Next(11),
            SyncMinUs = chosen == FaultMix.Crashes ? 200 : 30,
            SyncMaxUs = chosen == FaultMix.Crashes ? 2_000 : 300,
            // Leases: sparse faults, so a leader is often stable (its lease in force) when it gets cut off.
            MeanFaultGapUs = leaseMix ? 500_000 + r.Next(300_000) : divergence ? 400_000 + r.Next(400_000) : 150_000 + r.Next(250_000),
            ClientTimeoutUs = leaseMix ? 40_000 : lease ? 60_000 : 100_000 + r.Next(150_000),
            RegisterClients = leaseMix ? 4 : 3,
            ReaderClients = leaseMix ? 2 : 0,
        };
    }

    /// <summary>The core options of one member.</summary>
    public RaftOptions CoreOptions(GroupId group, NodeId member) => new()
    {
        Id = member,
        Group = group,
        ElectionTicks = ElectionTicks,
        HeartbeatTicks = HeartbeatTicks,
        PreVote = PreVote,
        CheckQuorum = CheckQuorum,
        LeaseReads = LeaseDriftRatio is { } drift ? new LeaseReadOptions(drift) : null,
        MaxAppendBytes = MaxAppendBytes,
        MaxInflightAppends = MaxInflightAppends,
        MaxCommittedBytesPerReady = MaxCommittedBytesPerReady,
        SnapshotChunkBytes = SnapshotChunkBytes,
        MaxInflightSnapshotChunks = MaxInflightSnapshotChunks,
        SnapshotRetryTicks = SnapshotRetryTicks,
    };

    /// <summary>One line for a report.</summary>
    public string Describe()
    {
        var c = CultureInfo.InvariantCulture;
        var lease = LeaseDriftRatio is { } d ? string.Create(c, $"lease reads (drift bound {d:F3})") : "no lease reads";
        var rates = string.Join(' ', ClockRates.Select(x => x.ToString("F3", c)));
        return string.Create(c, $"{Engine} engine, mix {Mix}, {Nodes} nodes, {Groups} groups of {VotersPerGroup} voters, election {ElectionTicks} ticks of {TickUs / 1000} ms, " +
            $"heartbeat {HeartbeatTicks}, prevote {PreVote}, check-quorum {CheckQuorum}, {lease}, clock rates [{rates}], append {MaxAppendBytes} B, " +
            $"inflight {MaxInflightAppends}, chunk {SnapshotChunkBytes} B x{MaxInflightSnapshotChunks}, snapshot every {SnapshotEveryEntries}, " +
            $"inputs/ready {MaxInputsPerReady}, drop {DropPermille}‰ dup {DuplicatePermille}‰, delay {DelayMinUs}-{DelayMaxUs} µs, sync {SyncMinUs}-{SyncMaxUs} µs");
    }
}
