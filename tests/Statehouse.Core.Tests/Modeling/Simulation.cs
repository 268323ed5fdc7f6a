using Statehouse.Core.Model;
using Statehouse.Core.Store;
using Statehouse.Core.Tests.Support;

namespace Statehouse.Core.Tests.Modeling;

/// <summary>A state machine under test, with a name for messages.</summary>
internal sealed class Machine(string name, StateMachine state)
{
    public string Name { get; } = name;

    public StateMachine State { get; } = state;

    /// <summary>When true, the machine is compared with the model in full after every batch (else by hash and results).</summary>
    public bool FullCheck { get; init; }
}

/// <summary>Options of one simulation run.</summary>
internal sealed record SimulationOptions
{
    /// <summary>Machines fully checked against the model after every batch.</summary>
    public required IReadOnlyList<Func<StateMachine>> Variants { get; init; }

    /// <summary>Honour the scenario's snapshot points (write, restore, keep the restored machine running).</summary>
    public bool Snapshots { get; init; }

    /// <summary>Replay every batch into a fresh machine at the end and compare results and hash.</summary>
    public bool ReplayAtEnd { get; init; }

    /// <summary>Called after each batch with the run, e.g. for extra scenario-specific steps.</summary>
    public Action<Simulation>? AfterBatch { get; init; }
}

/// <summary>
/// Runs a generated scenario against the reference model and one or more state machines, comparing every result,
/// the published view (all keys at several revisions, range pages, compaction errors), leases and the watch history.
/// </summary>
internal sealed class Simulation
{
    private static readonly HashSet<string> IgnoreMessage = ["Message"];

    private readonly Scenario _scenario;
    private readonly SimulationOptions _options;
    private readonly Random _rng;
    private readonly List<Func<string>> _log = [];
    private readonly List<Command> _issuedWithRequestId = [];

    private Simulation(Scenario scenario, SimulationOptions options)
    {
        _scenario = scenario;
        _options = options;
        _rng = new Random(scenario.CheckSeed);
        Model = new ReferenceStore(CommandGen.Limits);
        Machines = options.Variants.Select((f, i) => new Machine(i == 0 ? "primary" : $"variant{i}", f()) { FullCheck = true }).ToList();
    }

    public ReferenceStore Model { get; }

    public List<Machine> Machines { get; }

    public List<(CommandBatch Batch, long Index)> Batches { get; } = [];

    public List<IReadOnlyList<CommandResult>> PrimaryResults { get; } = [];

    public Random Rng => _rng;

    public long TimestampMs { get; private set; } = 1_000_000;

    public long Index { get; private set; }

    public static void Run(Scenario scenario, SimulationOptions options)
    {
        var sim = new Simulation(scenario, options);
        try
        {
            sim.RunAll();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name}: {e.Message}\n--- batches applied (concrete) ---\n{string.Join("\n", sim._log.TakeLast(60).Select(line => line()))}\n{e.StackTrace}");
        }
    }

    private void RunAll()
    {
        var pending = new List<Step>();
        for (var i = 0; i < _scenario.Steps.Length; i++)
        {
            pending.Add(_scenario.Steps[i]);
            if (!_scenario.Steps[i].EndsBatch && i != _scenario.Steps.Length - 1)
            {
                continue;
            }

            TimestampMs += pending[0].DeltaMs;
            var batch = new CommandBatch(TimestampMs, pending.Select(Concrete).ToList());
            ApplyEverywhere(batch);
            if (_options.Snapshots && pending.Any(s => s.Snapshot))
            {
                SnapshotAndRestore();
            }

            _options.AfterBatch?.Invoke(this);
            pending.Clear();
        }

        foreach (var m in Machines)
        {
            Checks.AgainstModel(m.State.View, Model, _rng, $"{m.Name} at end");
        }

        if (_options.ReplayAtEnd)
        {
            ReplayIntoFreshMachines();
        }
    }

    /// <summary>Applies a batch to the model and every machine and checks them.</summary>
    public void ApplyEverywhere(CommandBatch batch)
    {
        Index += 1 + _rng.Next(2);
        Batches.Add((batch, Index));
        var (number, index) = (Batches.Count, Index);
        _log.Add(() => $"batch #{number} index={index} ts={batch.TimestampMs}: " + string.Join(" ; ", batch.Commands.Select(Structural.Print)));
        var expected = Model.Apply(batch);
        var (revision, compact) = (Model.Revision, Model.CompactRevision);
        _log.Add(() => $"   model: rev={revision} compact={compact} results: " + string.Join(" ; ", expected.Select(Structural.Print)));
        IReadOnlyList<CommandResult>? primaryResults = null;
        foreach (var m in Machines)
        {
            var actual = m.State.Apply(batch, Index);
            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Structural.AssertEqual(expected[i], actual[i], $"{m.Name}: result of command {i} ({Structural.Print(batch.Commands[i])})", IgnoreMessage);
                if (primaryResults is not null)
                {
                    // Replicas must agree exactly, messages included.
                    Structural.AssertEqual(primaryResults[i], actual[i], $"{m.Name} vs primary: result of command {i}");
                }
            }

            primaryResults ??= actual;
            if (m.FullCheck)
            {
                Checks.AgainstModel(m.State.View, Model, _rng, $"{m.Name} after batch #{Batches.Count}");
            }
            else
            {
                Assert.Equal(StateMachine.StateHash(Machines[0].State.View), StateMachine.StateHash(m.State.View));
            }
        }

        PrimaryResults.Add(primaryResults!);
    }

    private void SnapshotAndRestore()
    {
        var source = Machines[0].State;
        var restored = RoundTrip(source.View, source.Limits);
        var name = $"restored@{source.View.AppliedIndex}";
        _log.Add(() => $"   snapshot of primary -> {name}");
        Assert.Equal(StateMachine.StateHash(source.View), StateMachine.StateHash(restored.View));
        Assert.Equal(source.View.AppliedIndex, restored.View.AppliedIndex);
        Checks.AgainstModel(restored.View, Model, _rng, $"{name} right after restore");
        Checks.SameAnswers(source.View, restored.View, $"{name} vs primary");
        Machines.Add(new Machine(name, restored));
    }

    public static StateMachine RoundTrip(StoreView view, StoreLimits limits)
    {
        using var stream = new MemoryStream();
        StateMachine.WriteSnapshot(view, stream);
        stream.Position = 0;
        var restored = new StateMachine(limits);
        restored.Restore(stream);
        Assert.Equal(stream.Length, stream.Position);
        return restored;
    }

    private void ReplayIntoFreshMachines()
    {
        var replica = new StateMachine(CommandGen.Limits);
        for (var b = 0; b < Batches.Count; b++)
        {
            var results = replica.Apply(Batches[b].Batch, Batches[b].Index);
            Structural.AssertEqual(PrimaryResults[b], results, $"replay of batch #{b + 1}");
        }

        Assert.Equal(StateMachine.StateHash(Machines[0].State.View), StateMachine.StateHash(replica.View));
        Checks.SameAnswers(Machines[0].State.View, replica.View, "replay vs primary");
    }

    /// <summary>The command to send for a step: a retry of an earlier request, or the step's own command made concrete.</summary>
    private Command Concrete(Step step)
    {
        var command = step.Retry > 0 && _issuedWithRequestId.Count > 0
            ? _issuedWithRequestId[^Math.Min(step.Retry, _issuedWithRequestId.Count)]
            : Resolve(step.Command);
        if (command.RequestId is not null)
        {
            _issuedWithRequestId.Add(command);
        }

        return command;
    }

    /// <summary>Turns sentinel values into concrete ones using the model's state before the batch.</summary>
    public Command Resolve(Command command) => command switch
    {
        CompactCommand c when c.Revision <= CommandGen.Sentinel =>
            c with { Revision = Math.Max(0, Model.Revision - (CommandGen.Sentinel - c.Revision)) },
        PutCommand p when p.Precondition is { Kind: PreconditionKind.IfModRevision, Value: <= CommandGen.Sentinel } =>
            p with { Precondition = Precondition.IfModRevision(Relative(p.Keyspace, p.Key, p.Precondition.Value, CompareTarget.ModRevision)) },
        DeleteCommand d when d.Precondition is { Kind: PreconditionKind.IfModRevision, Value: <= CommandGen.Sentinel } =>
            d with { Precondition = Precondition.IfModRevision(Relative(d.Keyspace, d.Key, d.Precondition.Value, CompareTarget.ModRevision)) },
        TxnCommand t => t with
        {
            Compares = t.Compares.Select(ResolveCompare).ToList(),
            Success = t.Success.Select(o => (TxnOperation)Resolve(o)).ToList(),
            Failure = t.Failure.Select(o => (TxnOperation)Resolve(o)).ToList(),
        },
        _ => command,
    };

    private Compare ResolveCompare(Compare c) => c.Number > CommandGen.Sentinel
        ? c
        : c with
        {
            Number = c.Target is CompareTarget.ModRevision or CompareTarget.CreateRevision
                ? Relative(c.Keyspace, c.Key, c.Number, c.Target)
                : CommandGen.Sentinel - c.Number,
        };

    private long Relative(string keyspace, byte[] key, long sentinel, CompareTarget target)
    {
        var current = target == CompareTarget.ModRevision ? Model.ModRevisionOf(keyspace, key) : Model.CreateRevisionOf(keyspace, key);
        return current + (CommandGen.Sentinel - sentinel) - 1;
    }
}

/// <summary>Comparisons of a published view with the model, or of two views with each other.</summary>
internal static class Checks
{
    private static readonly byte[][] ProbeKeys = [.. CommandGen.Keys, [], "zz"u8.ToArray()];

    /// <summary>Reads a value or the error code of the boundary exception.</summary>
    public static (T? Value, ErrorCode Code) Try<T>(Func<T> read)
    {
        try
        {
            return (read(), ErrorCode.None);
        }
        catch (StatehouseException e)
        {
            return (default, e.Code);
        }
    }

    /// <summary>Revisions worth probing: latest (0 and explicit), the compact revision, a few in between.</summary>
    private static List<long> ReadableRevisions(long compact, long revision, Random rng)
    {
        var low = Math.Max(compact, 1);
        var list = new List<long> { 0, revision, compact };
        if (low <= revision)
        {
            list.Add(rng.NextInt64(low, revision + 1));
            list.Add(rng.NextInt64(low, revision + 1));
        }

        return list.Where(r => r == 0 || r >= low).Distinct().ToList();
    }

    public static void AgainstModel(StoreView view, ReferenceStore model, Random rng, string context)
    {
        Assert.True(model.Revision == view.Revision, $"{context}: revision {view.Revision}, model {model.Revision}");
        Assert.True(model.CompactRevision == view.CompactRevision, $"{context}: compact revision {view.CompactRevision}, model {model.CompactRevision}");

        // Keyspaces, configurations and totals.
        Assert.Equal(model.Keyspaces.Keys.Order(StringComparer.Ordinal), view.Keyspaces.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, config) in model.Keyspaces)
        {
            var ks = view.Keyspaces[name];
            Assert.Equal(config, ks.Config);
            var live = model.KeysAt(name, model.Revision);
            Assert.True(live.Count == ks.LiveKeys, $"{context}: {name} LiveKeys {ks.LiveKeys}, model {live.Count}");
            Assert.True(live.Sum(kv => kv.Key.Length + kv.Value.Value.Length) == ks.LiveBytes, $"{context}: {name} LiveBytes {ks.LiveBytes}");
        }

        // Leases and their attached keys.
        Assert.Equal(model.Leases.OrderBy(l => l.Key).Select(l => (l.Key, l.Value.Ttl, l.Value.Owned)), view.Leases.Values.OrderBy(l => l.Id).Select(l => (l.Id, l.TtlSeconds, l.Owned)));
        foreach (var lease in view.Leases.Values)
        {
            var expected = model.KeysOfLease(lease.Id).Select(k => $"{k.Keyspace}/{Structural.Bytes(k.Key)}").Order(StringComparer.Ordinal);
            var actual = lease.Keys.Select(k => $"{k.Keyspace}/{Structural.Bytes(k.Key)}").Order(StringComparer.Ordinal);
            Assert.True(expected.SequenceEqual(actual), $"{context}: keys of lease {lease.Id}: {string.Join(",", actual)} expected {string.Join(",", expected)}");
        }

        // Point reads at several revisions, in every keyspace (including ones that do not exist).
        var revisions = ReadableRevisions(model.CompactRevision, model.Revision, rng);
        foreach (var keyspace in CommandGen.Keyspaces)
        {
            var exists = model.Keyspaces.ContainsKey(keyspace);
            if (!exists)
            {
                // Exceptions are slow: probe a missing keyspace once.
                var probe = ProbeKeys[rng.Next(ProbeKeys.Length)];
                Assert.True(Try(() => view.Get(keyspace, probe, revisions[rng.Next(revisions.Count)])).Code == ErrorCode.NotFound, $"{context}: Get({keyspace}) should be NotFound");
                Assert.True(Try(() => view.Range(keyspace, new RangeQuery())).Code == ErrorCode.NotFound, $"{context}: Range({keyspace}) should be NotFound");
                continue;
            }

            foreach (var revision in revisions)
            {
                var at = revision == 0 ? model.Revision : revision;
                foreach (var key in ProbeKeys)
                {
                    var (kv, code) = Try(() => view.Get(keyspace, key, revision));
                    Assert.True(code == ErrorCode.None, $"{context}: Get({keyspace}, {Structural.Bytes(key)}, rev {revision}) failed with {code}");
                    SameKv(model.LiveAt(keyspace, key, at)?.ToKeyValue(key), kv, $"{context}: Get({keyspace}, {Structural.Bytes(key)}, rev {revision})");
                }
            }

            // Compacted and future revisions.
            if (model.CompactRevision > 1)
            {
                var old = rng.NextInt64(1, model.CompactRevision);
                Assert.Equal(ErrorCode.Compacted, Try(() => view.Get(keyspace, CommandGen.Keys[0], old)).Code);
                Assert.Equal(ErrorCode.Compacted, Try(() => view.Range(keyspace, new RangeQuery { Revision = old })).Code);
            }

            Assert.Equal(ErrorCode.InvalidArgument, Try(() => view.Get(keyspace, CommandGen.Keys[0], model.Revision + 1)).Code);

            // Range pages at a random readable revision, walked to the end with After = LastKey.
            for (var q = 0; q < 2; q++)
            {
                var revision = revisions[rng.Next(revisions.Count)];
                var query = RandomQuery(rng) with { Revision = revision };
                CheckRangePages(view, model, keyspace, query, $"{context}: {keyspace}");
            }
        }

        // Watch history from the compact revision and from random later revisions.
        CheckHistory(view.History, model, model.CompactRevision, int.MaxValue, context);
        CheckHistory(view.History, model, rng.NextInt64(model.CompactRevision, model.Revision + 2), 1 + rng.Next(4), context);
        if (model.CompactRevision > 0)
        {
            Assert.False(view.History.TryRead(model.CompactRevision - 1, 10, [], out var compact), $"{context}: history read below the compact revision");
            Assert.Equal(model.CompactRevision, compact);
        }
    }

    public static RangeQuery RandomQuery(Random rng)
    {
        var keys = CommandGen.Keys;
        byte[]? Bound() => rng.Next(5) switch
        {
            0 => null,
            1 => [],
            _ => keys[rng.Next(keys.Length)],
        };

        return rng.Next(3) switch
        {
            0 => new RangeQuery { Prefix = new[] { "a"u8.ToArray(), "b"u8.ToArray(), [0xFF], [] }[rng.Next(4)], Limit = rng.Next(-1, 7), KeysOnly = rng.Next(4) == 0 },
            1 => new RangeQuery { Start = Bound(), End = Bound(), Limit = rng.Next(-1, 7), KeysOnly = rng.Next(4) == 0, CountOnly = rng.Next(6) == 0 },
            _ => new RangeQuery { Limit = rng.Next(1, 3), After = rng.Next(3) == 0 ? keys[rng.Next(keys.Length)] : null },
        };
    }

    private static void CheckRangePages(StoreView view, ReferenceStore model, string keyspace, RangeQuery query, string context)
    {
        var at = query.Revision == 0 ? model.Revision : query.Revision;
        var keys = model.KeysAt(keyspace, at);
        for (var page = 0; page < 20; page++)
        {
            var expected = ReferenceStore.RangeOver(keys, query, model.Limits) with { Revision = at };
            var actual = view.Range(keyspace, query);
            Structural.AssertEqual(expected, actual, $"{context}: Range({Structural.Print(query)}) page {page}");
            if (!actual.More)
            {
                return;
            }

            query = query with { After = actual.LastKey };
        }

        Assert.Fail($"{context}: range paging did not end");
    }

    private static void CheckHistory(EventHistory history, ReferenceStore model, long from, int maxEvents, string context)
    {
        var actual = new List<WatchEvent>();
        var next = from;
        for (var guard = 0; guard < 10_000; guard++)
        {
            var page = new List<WatchEvent>();
            Assert.True(history.TryRead(next, maxEvents, page, out _), $"{context}: TryRead({next}) said compacted");
            if (page.Count == 0)
            {
                break;
            }

            // Pages hold whole revisions: at least maxEvents unless the history ends, and never half a revision.
            Assert.True(page.All(e => e.Revision >= next), $"{context}: TryRead({next}) returned older events");
            actual.AddRange(page);
            next = page[^1].Revision + 1;
        }

        var expected = model.Events.Where(e => e.Revision >= from).ToList();
        var shown = $"\n  expected: {string.Join(" ", expected.Select(Describe))}\n  actual:   {string.Join(" ", actual.Select(Describe))}";
        Assert.True(expected.Count == actual.Count, $"{context}: history from {from}: {actual.Count} events, expected {expected.Count}{shown}");
        for (var i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            var same = e.Revision == a.Revision && e.Keyspace == a.Keyspace && e.Key.AsSpan().SequenceEqual(a.Key) && e.Kind == a.Kind
                && Equivalent(e.Current?.ToKeyValue(e.Key), a.Current.IsTombstone ? null : KeyValue.From(a.Key, a.Current))
                && Equivalent(e.Previous?.ToKeyValue(e.Key), a.PreviousKv);
            Assert.True(same, $"{context}: history from {from}, event {i}: {Describe(a)} expected {Describe(e)}{shown}");
        }
    }

    public static string Describe(RefEvent e) =>
        $"{e.Revision}:{e.Keyspace}/{Structural.Bytes(e.Key)}:{e.Kind}={Structural.Bytes(e.Current?.Value)}(prev {Structural.Bytes(e.Previous?.Value)})";

    public static string Describe(WatchEvent e) =>
        $"{e.Revision}:{e.Keyspace}/{Structural.Bytes(e.Key)}:{e.Kind}={Structural.Bytes(e.Current.Value)}(prev {Structural.Bytes(e.PreviousKv?.Value)})";

    public static bool Equivalent(KeyValue? a, KeyValue? b) =>
        (a is null && b is null) || (a is not null && b is not null && a.Key.AsSpan().SequenceEqual(b.Key) && a.Value.AsSpan().SequenceEqual(b.Value)
            && a.CreateRevision == b.CreateRevision && a.ModRevision == b.ModRevision && a.Version == b.Version && a.Lease == b.Lease);

    public static void SameKv(KeyValue? expected, KeyValue? actual, string context) =>
        Assert.True(Equivalent(expected, actual), $"{context}: got {Structural.Print(actual)}, expected {Structural.Print(expected)}");

    /// <summary>Two views of (supposedly) the same state answer every probe identically: reads at every revision, ranges, leases, history.</summary>
    public static void SameAnswers(StoreView a, StoreView b, string context)
    {
        Assert.Equal(a.Revision, b.Revision);
        Assert.Equal(a.CompactRevision, b.CompactRevision);
        Assert.Equal(StateMachine.StateHash(a), StateMachine.StateHash(b));
        Assert.Equal(a.Keyspaces.Keys.Order(StringComparer.Ordinal), b.Keyspaces.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, ks) in a.Keyspaces)
        {
            Assert.Equal(ks.Config, b.Keyspaces[name].Config);
            Assert.Equal(ks.LiveKeys, b.Keyspaces[name].LiveKeys);
            Assert.Equal(ks.LiveBytes, b.Keyspaces[name].LiveBytes);
            for (var revision = Math.Max(1, a.CompactRevision); revision <= a.Revision; revision++)
            {
                foreach (var key in ProbeKeys)
                {
                    SameKvOrError(Try(() => a.Get(name, key, revision)), Try(() => b.Get(name, key, revision)), $"{context}: Get({name}, {Structural.Bytes(key)}, rev {revision})");
                }

                Structural.AssertEqual(Try(() => a.Range(name, new RangeQuery { Revision = revision, Limit = 100 })), Try(() => b.Range(name, new RangeQuery { Revision = revision, Limit = 100 })), $"{context}: Range({name}, rev {revision})");
            }
        }

        Assert.Equal(
            a.Leases.Values.OrderBy(l => l.Id).Select(l => (l.Id, l.TtlSeconds, l.Keys.Count, l.Owned)),
            b.Leases.Values.OrderBy(l => l.Id).Select(l => (l.Id, l.TtlSeconds, l.Keys.Count, l.Owned)));

        var from = a.CompactRevision;
        var ha = new List<WatchEvent>();
        var hb = new List<WatchEvent>();
        Assert.True(a.History.TryRead(from, int.MaxValue, ha, out _));
        Assert.True(b.History.TryRead(from, int.MaxValue, hb, out _));

        // A view's history is shared with the live machine: compare only up to the view's revision.
        var ea = ha.Where(e => e.Revision <= a.Revision).Select(Describe).ToList();
        var eb = hb.Where(e => e.Revision <= b.Revision).Select(Describe).ToList();
        Assert.True(ea.SequenceEqual(eb), $"{context}: history from {from} differs\n  a: {string.Join(" ", ea)}\n  b: {string.Join(" ", eb)}");
    }

    private static void SameKvOrError((KeyValue? Value, ErrorCode Code) a, (KeyValue? Value, ErrorCode Code) b, string context)
    {
        Assert.True(a.Code == b.Code, $"{context}: {a.Code} vs {b.Code}");
        SameKv(a.Value, b.Value, context);
    }
}
