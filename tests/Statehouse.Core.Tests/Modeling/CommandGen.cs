using System.Text;
using CsCheck;
using Statehouse.Core.Model;
using Statehouse.Core.Tests.Support;

namespace Statehouse.Core.Tests.Modeling;

/// <summary>One generated command and how it is batched. <paramref name="Retry"/> &gt; 0 re-sends the Retry-th most recent command that carried a request id, unchanged.</summary>
internal sealed record Step(Command Command, bool EndsBatch, long DeltaMs, bool Snapshot, int Retry = 0);

/// <summary>A generated run: the steps and a seed for the checker's own random choices (which revisions and queries to probe).</summary>
internal sealed record Scenario(Step[] Steps, int CheckSeed)
{
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"CheckSeed={CheckSeed}, {Steps.Length} steps:\n");
        for (var i = 0; i < Steps.Length; i++)
        {
            var s = Steps[i];
            var command = s.Retry > 0 ? $"RETRY #{s.Retry} (else {Structural.Print(s.Command)})" : Structural.Print(s.Command);
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"  [{i}] {command}{(s.EndsBatch ? " |" : "")}{(s.Snapshot ? " SNAPSHOT" : "")}\n");
        }

        return sb.ToString();
    }
}

/// <summary>
/// Generators over a small universe so that commands collide often. Values at or below <see cref="Sentinel"/> in a few
/// places are resolved against the model when the batch is built (see <see cref="Simulation.Resolve"/>): a compact
/// revision "k back from the current one", an IfModRevision or a compare number "the key's current mod/create revision ± 1".
/// </summary>
internal static class CommandGen
{
    public const long Sentinel = -100;

    public static readonly byte[][] Keys =
    [
        "a"u8.ToArray(), "aa"u8.ToArray(), "ab"u8.ToArray(), "abc"u8.ToArray(), "b"u8.ToArray(), [(byte)'b', 0], "c"u8.ToArray(), [0xFF], [0xFF, 0xFF],
    ];

    /// <summary>Keyspaces the checker probes; "nope" never exists.</summary>
    public static readonly string[] Keyspaces = [KeyspaceConfig.DefaultName, "ks2", "ks3", "nope"];

    /// <summary>ks2: keys of at most two bytes ("abc" is too long), values of at most three (counters past 999 too), at most 4 keys.</summary>
    public static readonly KeyspaceConfig Ks2 = new("ks2", MaxKeyBytes: 2, MaxValueBytes: 3, MaxKeys: 4);

    /// <summary>Small limits so that every limit is hit by short sequences.</summary>
    public static readonly StoreLimits Limits = new()
    {
        MaxTxnOps = 4,
        MaxTxnCompares = 3,
        DefaultRangeLimit = 3,
        MaxRangeLimit = 5,
        MaxDeleteRangeKeys = 4,
        MaxKeyspaces = 3,
        MaxLeaseTtlSeconds = 100,
        MaxLeases = 5,
        MaxRequestIdLength = 8,
        IdempotencyWindowMs = 600_000,
        IdempotencyMaxEntries = 4,
    };

    private static readonly byte[] ValueAlphabet = [(byte)'0', (byte)'1', (byte)'5', (byte)'9', (byte)'-', (byte)'+', (byte)'x', 0x00, 0xFF];

    public static readonly Gen<string> Keyspace = Gen.Frequency(
        (24, Gen.Const(KeyspaceConfig.DefaultName)),
        (12, Gen.Const("ks2")),
        (1, Gen.Const("ks3")),
        (1, Gen.Const("nope")));

    public static readonly Gen<byte[]> Key = Gen.Frequency(
        (30, Gen.OneOf(Keys)),
        (1, Gen.Const(Array.Empty<byte>())));

    public static readonly Gen<byte[]> Value = Gen.Frequency(
        (8, Gen.OneOf(ValueAlphabet).Array[0, 3]),
        (6, Gen.Byte[(byte)'0', (byte)'9'].Array[0, 3]),
        (1, Gen.OneOf(
            "9223372036854775807"u8.ToArray(),
            "9223372036854775806"u8.ToArray(),
            "-9223372036854775808"u8.ToArray(),
            "-9223372036854775807"u8.ToArray(),
            "9223372036854775808"u8.ToArray(),
            "007"u8.ToArray())));

    public static readonly Gen<Precondition> Precondition = Gen.Frequency(
        (8, Gen.Const(Core.Model.Precondition.None)),
        (2, Gen.Const(Core.Model.Precondition.IfAbsent)),
        (2, Gen.Const(Core.Model.Precondition.IfExists)),
        (2, Gen.Long[0, 3].Select(Core.Model.Precondition.IfVersion)),
        (3, Gen.Long[Sentinel - 2, Sentinel].Select(Core.Model.Precondition.IfModRevision)),
        (1, Gen.Long[0, 30].Select(Core.Model.Precondition.IfModRevision)));

    private static readonly Gen<(long Lease, long Ttl)> LeaseChoice = Gen.Frequency(
        (12, Gen.Const((0L, 0L))),
        (4, Gen.Long[1, 10].Select(l => (l, 0L))),
        (2, Gen.Long[1, 100].Select(t => (0L, t))),
        (1, Gen.OneOf(-1L, 101L).Select(t => (0L, t))),
        (1, Gen.Const((1L, 5L))));

    public static readonly Gen<PutCommand> Put = Gen.Select(Keyspace, Key, Value, Precondition, LeaseChoice, Gen.Bool, (ks, k, v, p, l, rp) =>
        new PutCommand(ks, k, v) { Precondition = p, Lease = l.Lease, TtlSeconds = l.Ttl, ReturnPrevious = rp });

    private static readonly Gen<byte[]> Prefix = Gen.OneOf("a"u8.ToArray(), "b"u8.ToArray(), [0xFF], [], "aa"u8.ToArray());

    private static readonly Gen<byte[]?> RangeBound = Gen.Frequency(
        (6, Gen.OneOf(Keys).Select(k => (byte[]?)k)),
        (1, Gen.Const((byte[]?)[])),
        (1, Gen.Const((byte[]?)"z"u8.ToArray())),
        (1, Gen.Const((byte[]?)null)));

    public static readonly Gen<DeleteCommand> Delete = Gen.Frequency(
        (6, Gen.Select(Keyspace, Key, Precondition, Gen.Bool, (ks, k, p, rp) => new DeleteCommand(ks, k) { Precondition = p, ReturnPrevious = rp })),
        (2, Gen.Select(Keyspace, Prefix, Gen.Bool, Gen.Int[0, 9], (ks, k, rp, pc) =>
            new DeleteCommand(ks, k) { Prefix = true, ReturnPrevious = rp, Precondition = pc == 0 ? Core.Model.Precondition.IfExists : default })),
        (2, Gen.Select(Keyspace, Gen.OneOf(Keys).Select(k => k), RangeBound, Gen.Bool, (ks, k, end, rp) =>
            new DeleteCommand(ks, k) { RangeEnd = end ?? [], ReturnPrevious = rp })));

    public static readonly Gen<long> Delta = Gen.Frequency(
        (10, Gen.Long[-3, 3]),
        (1, Gen.OneOf(long.MaxValue, long.MinValue, long.MaxValue - 1, -long.MaxValue, 1L << 62)));

    public static readonly Gen<IncrementCommand> Increment = Gen.Select(Keyspace, Key, Delta, (ks, k, d) => new IncrementCommand(ks, k, d));

    public static readonly Gen<RangeQuery> Query = Gen.Select(
        Gen.Int[0, 3],
        Prefix,
        RangeBound,
        RangeBound,
        Gen.Int[-1, 7],
        Gen.Frequency((3, Gen.Const((byte[]?)null)), (1, Gen.OneOf(Keys).Select(k => (byte[]?)k))),
        Gen.Int[0, 5],
        (shape, prefix, start, end, limit, after, flags) => new RangeQuery
        {
            Prefix = shape == 0 ? prefix : null,
            Start = shape is 1 or 2 ? start : null,
            End = shape is 1 or 3 ? end : null,
            Limit = limit,
            After = after,
            KeysOnly = flags == 1,
            CountOnly = flags == 2,
        });

    public static readonly Gen<TxnOperation> Operation = Gen.Frequency(
        (5, Put.Select(p => (TxnOperation)p)),
        (3, Delete.Select(d => (TxnOperation)d)),
        (2, Increment.Select(i => (TxnOperation)i)),
        (2, Gen.Select(Keyspace, Key, (ks, k) => (TxnOperation)new GetOperation(ks, k))),
        (1, Gen.Select(Keyspace, Query, Gen.Int[0, 9], (ks, q, r) => (TxnOperation)new RangeOperation(ks, q with { Revision = r == 0 ? 1 : 0 }))));

    public static readonly Gen<Compare> Compare = Gen.Select(
        Gen.Frequency((10, Keyspace), (1, Gen.Const("nope"))),
        Key,
        Gen.Enum<CompareTarget>(),
        Gen.Enum<CompareOp>(),
        Gen.OneOf(ValueAlphabet).Array[0, 2],
        Gen.Frequency((3, Gen.Long[0, 3]), (2, Gen.Long[Sentinel - 2, Sentinel])),
        (ks, k, target, op, value, number) => new Compare(ks, k, target, op, target == CompareTarget.Value ? value : null, number));

    private static readonly Gen<TxnOperation> OperationMaybeWithId = Gen.Frequency(
        (40, Operation),
        (1, Operation.Select(o => o with { RequestId = "inner" })));

    public static readonly Gen<TxnCommand> Txn = Gen.Select(
        Gen.Frequency((15, Compare.Array[0, 3]), (1, Compare.Array[4, 4])),
        Gen.Frequency((15, OperationMaybeWithId.Array[0, 4]), (1, OperationMaybeWithId.Array[5, 5])),
        Gen.Frequency((15, OperationMaybeWithId.Array[0, 4]), (1, OperationMaybeWithId.Array[5, 5])),
        (c, s, f) => new TxnCommand(c, s, f));

    public static readonly Gen<LeaseGrantCommand> LeaseGrant = Gen.Select(
        Gen.Frequency((4, Gen.Const(0L)), (3, Gen.Long[1, 8]), (1, Gen.Const(-1L))),
        Gen.Frequency((10, Gen.Long[1, 100]), (1, Gen.OneOf(0L, 101L))),
        (id, ttl) => new LeaseGrantCommand(id, ttl));

    public static readonly Gen<Command> CreateKeyspace = Gen.OneOf(
        Ks2, Ks2, Ks2, Ks2 with { MaxKeys = 5 }, new KeyspaceConfig("ks3"), new KeyspaceConfig("ks4"),
        new KeyspaceConfig("bad name"), new KeyspaceConfig(""), new KeyspaceConfig("ks5", MaxKeys: -1))
        .Select(c => (Command)new CreateKeyspaceCommand(c));

    public static readonly Gen<Command> Compact = Gen.Frequency(
        (6, Gen.Long[Sentinel - 12, Sentinel]),
        (1, Gen.Long[0, 150]),
        (1, Gen.Const(-1L)))
        .Select(r => (Command)new CompactCommand(r));

    private static readonly Gen<string?> RequestId = Gen.Frequency(
        (16, Gen.Const((string?)null)),
        (6, Gen.OneOf("r1", "r2", "r3", "r4", "r5", "r6").Select(s => (string?)s)),
        (1, Gen.OneOf("", "123456789").Select(s => (string?)s)));

    public static readonly Gen<Command> TopLevel = Gen.Select(
        Gen.Frequency(
            (8, Put.Select(c => (Command)c)),
            (4, Delete.Select(c => (Command)c)),
            (3, Increment.Select(c => (Command)c)),
            (1, Gen.Select(Keyspace, Key, (ks, k) => (Command)new GetOperation(ks, k))),
            (1, Gen.Select(Keyspace, Query, (ks, q) => (Command)new RangeOperation(ks, q))),
            (5, Txn.Select(c => (Command)c)),
            (2, LeaseGrant.Select(c => (Command)c)),
            (1, Gen.Long[0, 12].Select(l => (Command)new LeaseRevokeCommand(l))),
            (1, Gen.Long[0, 12].Array[0, 3].Select(l => (Command)new LeaseExpireCommand(l))),
            (1, Compact),
            (2, CreateKeyspace)),
        RequestId,
        (c, id) => c with { RequestId = id });

    public static readonly Gen<long> DeltaMs = Gen.Frequency(
        (12, Gen.Long[0, 2_000]),
        (3, Gen.Long[100_000, 400_000]),
        (1, Gen.Long[600_000, 700_000]));

    public static readonly Gen<Step> Step = Gen.Select(TopLevel, Gen.Int[0, 4], DeltaMs, Gen.Int[0, 24], Gen.Frequency((10, Gen.Const(0)), (2, Gen.Int[1, 4])),
        (c, end, delta, snap, retry) => new Step(c, end < 3, delta, snap == 0, retry));

    /// <summary>Most runs create ks2 first so that its commands mostly reach the key logic; the rest create it later or never.</summary>
    public static Gen<Scenario> Scenario(int maxSteps) =>
        Gen.Select(Step.Array[1, maxSteps], Gen.Int, Gen.Int[0, 3], (steps, seed, early) => new Scenario(
            early == 0 ? steps : [new Step(new CreateKeyspaceCommand(Ks2), true, 0, false), .. steps],
            seed));
}
