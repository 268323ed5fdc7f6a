using Statehouse.Core.Model;
using Statehouse.Core.Store;
using Statehouse.Core.Tests.Modeling;
using Statehouse.Core.Tests.Support;
using static Statehouse.Core.Tests.Support.Driver;

namespace Statehouse.Core.Tests;

/// <summary>Limits, quotas, idempotency windows, compaction bounds and lease ids, one case at a time.</summary>
public sealed class StateMachineEdgeCaseTests
{
    private const string Default = KeyspaceConfig.DefaultName;

    private static ErrorCode Code(CommandResult result) => result is ErrorResult e ? e.Code : ErrorCode.None;

    [Fact]
    public void ResolveRevision_FailsWithInvalidArgument_WhenRevisionIsNegative_AndZeroIsLatest()
    {
        var d = new Driver();
        d.Run(Put("k", "v1"));
        d.Run(Put("k", "v2"));

        // Before, any revision <= 0 read the latest state: -1 from a bug or an unset sentinel looked like a request.
        var ex = Assert.Throws<StatehouseException>(() => d.View.ResolveRevision(-1));
        Assert.Equal(ErrorCode.InvalidArgument, ex.Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<StatehouseException>(() => d.View.Get(Default, B("k"), long.MinValue)).Code);
        Assert.Equal(2, d.View.ResolveRevision(0));
        Assert.Equal("v2", System.Text.Encoding.UTF8.GetString(d.View.Get(Default, B("k"), 0)!.Value));
    }

    [Fact]
    public void Put_FailsWithInvalidArgument_WhenKeyIsEmpty()
    {
        var d = new Driver();

        var result = d.Run(new PutCommand(Default, [], B("v")));

        Assert.Equal(ErrorCode.InvalidArgument, Code(result));
        Assert.Equal(0, d.View.Revision);
        Assert.Equal(0, d.View.TotalKeys);
    }

    [Theory]
    [InlineData(0, 4, ErrorCode.None)]
    [InlineData(0, 5, ErrorCode.InvalidArgument)]
    [InlineData(3, 3, ErrorCode.None)]
    [InlineData(3, 4, ErrorCode.InvalidArgument)]
    [InlineData(9, 5, ErrorCode.InvalidArgument)]
    public void Put_ChecksKeyLength_WhenNodeAndKeyspaceLimitsApply(int keyspaceMaxKeyBytes, int keyLength, ErrorCode expected)
    {
        var d = new Driver(new StoreLimits { MaxKeyBytes = 4 });
        d.Run(new CreateKeyspaceCommand(new KeyspaceConfig("ks", MaxKeyBytes: keyspaceMaxKeyBytes)));

        var result = d.Run(new PutCommand("ks", new byte[keyLength], B("v")));

        Assert.Equal(expected, Code(result));
    }

    [Theory]
    [InlineData(0, 8, ErrorCode.None)]
    [InlineData(0, 9, ErrorCode.InvalidArgument)]
    [InlineData(2, 2, ErrorCode.None)]
    [InlineData(2, 3, ErrorCode.InvalidArgument)]
    public void Put_ChecksValueLength_WhenNodeAndKeyspaceLimitsApply(int keyspaceMaxValueBytes, int valueLength, ErrorCode expected)
    {
        var d = new Driver(new StoreLimits { MaxValueBytes = 8 });
        d.Run(new CreateKeyspaceCommand(new KeyspaceConfig("ks", MaxValueBytes: keyspaceMaxValueBytes)));

        var result = d.Run(new PutCommand("ks", B("k"), new byte[valueLength]));

        Assert.Equal(expected, Code(result));
    }

    // Was a bug at b053d08: StateMachine.ApplyIncrement never checked the value size limit, so an increment wrote a
    // value longer than the keyspace's MaxValueBytes, which a put of the same bytes is refused.
    [Fact]
    public void Increment_FailsWithInvalidArgument_WhenNewValueExceedsKeyspaceValueLimit()
    {
        var d = new Driver();
        d.Run(new CreateKeyspaceCommand(new KeyspaceConfig("ks", MaxValueBytes: 2)));
        d.Run(new PutCommand("ks", B("n"), B("99")));

        var put = d.Run(new PutCommand("ks", B("m"), B("100")));
        var increment = d.Run(new IncrementCommand("ks", B("n"), 1));

        Assert.Equal(ErrorCode.InvalidArgument, Code(put));
        Assert.Equal(ErrorCode.InvalidArgument, Code(increment));
        Assert.Equal(B("99"), d.View.Get("ks", B("n"))!.Value);
    }

    [Theory]
    [InlineData("9223372036854775807", 1)]
    [InlineData("-9223372036854775808", -1)]
    [InlineData("1", long.MaxValue)]
    [InlineData("x", 1)]
    [InlineData("1x", 1)]
    [InlineData("+", 1)]
    [InlineData("--1", 1)]
    [InlineData("+-1", 1)]
    [InlineData(" 1", 1)]
    [InlineData("1 ", 1)]
    [InlineData("9223372036854775808", 0)]
    public void Increment_FailsWithInvalidArgumentAndChangesNothing_WhenValueIsNotCounterOrSumOverflows(string value, long delta)
    {
        var d = new Driver();
        d.Run(new PutCommand(Default, B("n"), B(value)));

        var result = d.Run(new IncrementCommand(Default, B("n"), delta));

        Assert.Equal(ErrorCode.InvalidArgument, Code(result));
        Assert.Equal(1, d.View.Revision);
        Assert.Equal(B(value), d.View.Get(Default, B("n"))!.Value);
    }

    [Theory]
    [InlineData("", 5, 5)]
    [InlineData("+7", 1, 8)]
    [InlineData("-10", 2, -8)]
    [InlineData("10", 2, 12)]
    [InlineData("-0", 0, 0)]
    [InlineData("007", -8, -1)]
    [InlineData("9223372036854775806", 1, long.MaxValue)]
    public void Increment_AddsDelta_WhenValueIsDecimalInt64(string value, long delta, long expected)
    {
        var d = new Driver();
        d.Run(new PutCommand(Default, B("n"), B(value)));

        var result = (IncrementResult)d.Run(new IncrementCommand(Default, B("n"), delta));

        Assert.Equal(expected, result.Value);
        Assert.Equal(B(expected.ToString(System.Globalization.CultureInfo.InvariantCulture)), d.View.Get(Default, B("n"))!.Value);
    }

    // Was a bug at b053d08: StateMachine.TryParseCounter called long.TryParse directly, which accepts trailing NULs,
    // so "5\0" counted as 5. The counter contract is "an optional '-' and ASCII digits" (see TryParseCounter).
    [Fact]
    public void Increment_FailsWithInvalidArgument_WhenValueHasTrailingNul()
    {
        var d = new Driver();
        d.Run(new PutCommand(Default, B("n"), [(byte)'5', 0]));

        var result = d.Run(new IncrementCommand(Default, B("n"), 1));

        Assert.Equal(ErrorCode.InvalidArgument, Code(result));
    }

    [Fact]
    public void Put_FailsWithQuotaExceeded_WhenKeyspaceHoldsMaxKeys()
    {
        var d = new Driver();
        d.Run(new CreateKeyspaceCommand(new KeyspaceConfig("ks", MaxKeys: 2)));
        d.Batch(Put("a", "1", "ks"), Put("b", "1", "ks"));

        Assert.Equal(ErrorCode.QuotaExceeded, Code(d.Run(Put("c", "1", "ks"))));
        Assert.Equal(ErrorCode.QuotaExceeded, Code(d.Run(new IncrementCommand("ks", B("c"), 1))));
        Assert.Equal(ErrorCode.None, Code(d.Run(Put("a", "2", "ks"))));
        Assert.Equal(ErrorCode.None, Code(d.Run(new DeleteCommand("ks", B("b")))));
        Assert.Equal(ErrorCode.None, Code(d.Run(Put("c", "1", "ks"))));
        Assert.Equal(2, d.View.Keyspaces["ks"].LiveKeys);
    }

    [Theory]
    [InlineData(3, 0, 0, ErrorCode.None)]
    [InlineData(4, 0, 0, ErrorCode.InvalidArgument)]
    [InlineData(0, 4, 0, ErrorCode.InvalidArgument)]
    [InlineData(0, 0, 4, ErrorCode.InvalidArgument)]
    [InlineData(0, 3, 3, ErrorCode.None)]
    public void Txn_ChecksCompareAndOperationLimits_WhenLimitsAreSmall(int compares, int success, int failure, ErrorCode expected)
    {
        var d = new Driver(new StoreLimits { MaxTxnCompares = 3, MaxTxnOps = 3 });
        var txn = new TxnCommand(
            Enumerable.Range(0, compares).Select(i => new Compare(Default, B($"k{i}"), CompareTarget.Version, CompareOp.Equal)).ToList(),
            Enumerable.Range(0, success).Select(i => (TxnOperation)Put($"s{i}", "v")).ToList(),
            Enumerable.Range(0, failure).Select(i => (TxnOperation)Put($"f{i}", "v")).ToList());

        var result = d.Run(txn);

        Assert.Equal(expected, Code(result));
        Assert.Equal(expected == ErrorCode.None && success > 0 ? 1 : 0, d.View.Revision);
    }

    [Fact]
    public void Txn_LeavesNoTrace_WhenThirdOperationFails()
    {
        var d = new Driver();
        d.Run(Put("n", "not a number"));

        var result = d.Run(new TxnCommand([], [Put("a", "1"), Put("b", "2") with { TtlSeconds = 10 }, new IncrementCommand(Default, B("n"), 1)], []));

        Assert.Equal(ErrorCode.InvalidArgument, Code(result));
        Assert.Equal(1, result.Revision);
        Assert.Equal(1, d.View.Revision);
        Assert.Null(d.View.Get(Default, B("a")));
        Assert.Null(d.View.Get(Default, B("b")));
        Assert.Empty(d.View.Leases);
        Assert.Equal(["1:n=not a number"], History(d.Machine, 0));
        Assert.Equal(1, ((LeaseGrantResult)d.Run(new LeaseGrantCommand(0, 5))).LeaseId);
    }

    [Fact]
    public void Delete_ChangesNothing_WhenKeyIsAbsent()
    {
        var d = new Driver();
        d.Run(Put("a", "1"));

        var single = (DeleteResult)d.Run(new DeleteCommand(Default, B("zz")));
        var range = (DeleteResult)d.Run(new DeleteCommand(Default, B("x")) { Prefix = true });

        Assert.Equal(0, single.Deleted);
        Assert.Equal(0, range.Deleted);
        Assert.Equal(1, d.View.Revision);
        Assert.Single(History(d.Machine, 0));
    }

    [Fact]
    public void DeleteRange_FailsAtomically_WhenItWouldRemoveMoreThanMaxDeleteRangeKeys()
    {
        var d = new Driver(new StoreLimits { MaxDeleteRangeKeys = 2 });
        d.Batch(Put("a1", "1"), Put("a2", "2"), Put("a3", "3"));

        var tooMany = d.Run(new TxnCommand([], [Put("x", "1"), new DeleteCommand(Default, B("a")) { Prefix = true }], []));
        var allowed = (DeleteResult)d.Run(new DeleteCommand(Default, B("a2")) { RangeEnd = B("b") });

        Assert.Equal(ErrorCode.InvalidArgument, Code(tooMany));
        Assert.Null(d.View.Get(Default, B("x")));
        Assert.Equal(2, allowed.Deleted);
        Assert.Equal(4, d.View.Revision);
        Assert.NotNull(d.View.Get(Default, B("a1")));
    }

    [Theory]
    [InlineData("", ErrorCode.InvalidArgument)]
    [InlineData("12345678", ErrorCode.None)]
    [InlineData("123456789", ErrorCode.InvalidArgument)]
    public void Apply_ChecksRequestIdLength_WhenRequestIdIsGiven(string requestId, ErrorCode expected)
    {
        var d = new Driver(new StoreLimits { MaxRequestIdLength = 8 });

        var result = d.Run(Put("a", "1") with { RequestId = requestId });

        Assert.Equal(expected, Code(result));
        Assert.Equal(expected == ErrorCode.None ? 1 : 0, d.View.Revision);
    }

    [Fact]
    public void Apply_ReturnsFirstResultWithoutApplying_WhenSameRequestIsRetriedWithinWindow()
    {
        var d = new Driver(new StoreLimits { IdempotencyWindowMs = 1_000 });
        var request = Put("a", "1") with { RequestId = "r" };
        var first = d.Run(request);
        d.Run(Put("a", "2"));

        d.NowMs += 1_000;
        var retry = d.Run(request with { });

        Assert.Same(first, retry);
        Assert.Equal(2, d.View.Revision);
        Assert.Equal(B("2"), d.View.Get(Default, B("a"))!.Value);
    }

    [Fact]
    public void Apply_FailsWithInvalidArgumentAndChangesNothing_WhenRequestIdIsReusedForAnotherRequest()
    {
        var d = new Driver();
        var first = d.Run(Put("a", "1") with { RequestId = "r" });

        var reused = d.Run(new DeleteCommand(Default, B("a")) { RequestId = "r" });
        var retry = d.Run(Put("a", "1") with { RequestId = "r" });

        Assert.Equal(ErrorCode.InvalidArgument, Code(reused));
        Assert.Equal(1, reused.Revision);
        Assert.Same(first, retry);
        Assert.NotNull(d.View.Get(Default, B("a")));
    }

    [Fact]
    public void Apply_AppliesAgain_WhenRequestIdIsOlderThanWindow()
    {
        var d = new Driver(new StoreLimits { IdempotencyWindowMs = 1_000 });
        var request = new IncrementCommand(Default, B("n"), 1) { RequestId = "r" };
        d.Run(request);

        d.NowMs += 1_001;
        var again = (IncrementResult)d.Run(request);

        Assert.Equal(2, again.Revision);
        Assert.Equal(2, again.Value);
    }

    [Fact]
    public void Apply_ForgetsOldestRequestIds_WhenMoreThanMaxEntriesAreRemembered()
    {
        var d = new Driver(new StoreLimits { IdempotencyMaxEntries = 2 });
        var requests = new[] { "r1", "r2", "r3" }.Select(id => new IncrementCommand(Default, B("n"), 1) { RequestId = id }).ToArray();
        d.Batch(requests);

        var r3 = (IncrementResult)d.Run(requests[2]);
        var r2 = (IncrementResult)d.Run(requests[1]);
        var r1 = (IncrementResult)d.Run(requests[0]);

        Assert.Equal(3, r3.Value);
        Assert.Equal(2, r2.Value);
        Assert.Equal(4, r1.Value);
        Assert.Equal(4, d.View.Revision);
    }

    [Fact]
    public void Apply_RemembersFailedResult_WhenFailedCommandCarriedRequestId()
    {
        var d = new Driver();
        var request = Put("a", "1") with { Precondition = Precondition.IfExists, RequestId = "r" };
        var failed = d.Run(request);
        d.Run(Put("a", "0"));

        var retry = d.Run(request);

        Assert.Equal(ErrorCode.PreconditionFailed, Code(failed));
        Assert.Same(failed, retry);
        Assert.Equal(B("0"), d.View.Get(Default, B("a"))!.Value);
    }

    [Fact]
    public void Compact_FailsWithInvalidArgument_WhenRevisionIsInTheFuture()
    {
        var d = new Driver();
        d.Batch(Put("a", "1"), Put("a", "2"));

        var future = d.Run(new CompactCommand(3));
        var current = (CompactResult)d.Run(new CompactCommand(2));
        var older = (CompactResult)d.Run(new CompactCommand(1));

        Assert.Equal(ErrorCode.InvalidArgument, Code(future));
        Assert.Equal(2, current.CompactRevision);
        Assert.Equal(2, older.CompactRevision);
        Assert.Equal(2, d.View.CompactRevision);
        Assert.Equal(ErrorCode.Compacted, Checks.Try(() => d.View.Get(Default, B("a"), 1)).Code);
        Assert.Equal(B("2"), d.View.Get(Default, B("a"), 2)!.Value);
    }

    [Fact]
    public void StoreView_ThrowsCompacted_WhenOldViewReadsBelowANewerCompaction()
    {
        var d = new Driver();
        d.Run(Put("a", "1"));
        d.Run(Put("a", "2"));
        var old = d.View;

        d.Run(new CompactCommand(2));
        d.Run(Put("b", "1"));

        Assert.Equal(ErrorCode.Compacted, Checks.Try(() => old.Get(Default, B("a"), 1)).Code);
        Assert.Equal(B("2"), old.Get(Default, B("a"), 2)!.Value);
    }

    [Fact]
    public void LeaseGrant_FailsWithPreconditionFailed_WhenIdExists()
    {
        var d = new Driver();
        d.Run(new LeaseGrantCommand(5, 10));

        var again = d.Run(new LeaseGrantCommand(5, 20));
        var auto = (LeaseGrantResult)d.Run(new LeaseGrantCommand(0, 10));

        Assert.Equal(ErrorCode.PreconditionFailed, Code(again));
        Assert.Equal(10, d.View.Leases[5].TtlSeconds);
        Assert.Equal(6, auto.LeaseId);
    }

    // Was a bug at b053d08: GrantLease set _nextLeaseId = Math.Max(_nextLeaseId, id + 1); after a client granted id
    // long.MaxValue - 1 the automatic id reached long.MaxValue, `id + 1` wrapped, and the next automatic grant (LeaseGrant
    // with id 0, or a put with TtlSeconds) threw InvariantViolationException out of Apply: a client stopped every replica.
    [Fact]
    public void LeaseGrant_ReturnsErrorAndKeepsWorking_WhenAutomaticIdsAreExhausted()
    {
        var d = new Driver();
        d.Run(new LeaseGrantCommand(long.MaxValue - 1, 10));

        var results = new List<CommandResult>();
        var thrown = Record.Exception(() =>
        {
            results.Add(d.Run(new LeaseGrantCommand(0, 10)));
            results.Add(d.Run(new LeaseGrantCommand(0, 10)));
            results.Add(d.Run(Put("a", "1") with { TtlSeconds = 10 }));
        });
        var afterwards = d.Run(Put("b", "1"));

        Assert.Null(thrown);
        Assert.All(results, r => Assert.True(r is LeaseGrantResult or PutResult || Code(r) == ErrorCode.QuotaExceeded, Structural.Print(r)));
        var granted = results.OfType<LeaseGrantResult>().Select(g => g.LeaseId).Concat(results.OfType<PutResult>().Select(p => p.Lease)).ToList();
        Assert.Equal(granted.Count, granted.Distinct().Count());
        Assert.IsType<PutResult>(afterwards);
    }

    [Fact]
    public void Put_EndsLeaseMadeByItsTtl_WhenLastAttachedKeyLeavesIt()
    {
        var d = new Driver();
        var a = (PutResult)d.Run(Put("a", "1") with { TtlSeconds = 10 });
        d.Run(Put("a", "2"));
        var b = (PutResult)d.Run(Put("b", "1") with { TtlSeconds = 10 });
        d.Run(Put("c", "1") with { Lease = b.Lease });
        var granted = (LeaseGrantResult)d.Run(new LeaseGrantCommand(0, 10));
        d.Run(Put("d", "1") with { Lease = granted.LeaseId });

        d.Run(new DeleteCommand(Default, B("b")));
        var whileShared = d.View.Leases.ContainsKey(b.Lease);
        d.Run(new DeleteCommand(Default, B("c")));
        d.Run(new DeleteCommand(Default, B("d")));

        Assert.False(d.View.Leases.ContainsKey(a.Lease));
        Assert.True(whileShared);
        Assert.False(d.View.Leases.ContainsKey(b.Lease));
        Assert.True(d.View.Leases.ContainsKey(granted.LeaseId));
    }

    [Fact]
    public void LeaseRevoke_DeletesAttachedKeysInOneRevision_WhenLeaseHasKeys()
    {
        var d = new Driver();
        d.Run(new CreateKeyspaceCommand(new KeyspaceConfig("ks")));
        d.Run(new LeaseGrantCommand(7, 10));
        d.Batch(Put("b", "1") with { Lease = 7 }, Put("a", "1", "ks") with { Lease = 7 }, Put("a", "1") with { Lease = 7 }, Put("c", "1"));

        var revoked = (LeaseRevokeResult)d.Run(new LeaseRevokeCommand(7));

        Assert.Equal(3, revoked.KeysDeleted);
        Assert.Equal(5, d.View.Revision);
        Assert.Equal(["5:a!", "5:b!", "5:a!"], History(d.Machine, 5));
        Assert.Equal(1, d.View.TotalKeys);
        Assert.Empty(d.View.Leases);
    }

    [Fact]
    public void LeaseExpire_IgnoresUnknownAndRepeatedIds_WhenLeaderProposesThem()
    {
        var d = new Driver();
        d.Run(Put("a", "1") with { TtlSeconds = 5 });

        var result = (LeaseExpireResult)d.Run(new LeaseExpireCommand([1, 1, 99]));
        var again = (LeaseExpireResult)d.Run(new LeaseExpireCommand([1]));

        Assert.Equal([1L], result.Expired);
        Assert.Equal(1, result.KeysDeleted);
        Assert.Empty(again.Expired);
        Assert.Equal(2, d.View.Revision);
        Assert.Equal(ChangeKind.Expire, LastEvent(d.Machine).Kind);
    }

    [Fact]
    public void CreateKeyspace_IsIdempotent_WhenConfigurationIsIdentical()
    {
        var d = new Driver();
        var config = new KeyspaceConfig("ks", MaxKeys: 3);

        var first = d.Run(new CreateKeyspaceCommand(config));
        var same = d.Run(new CreateKeyspaceCommand(config));
        var different = d.Run(new CreateKeyspaceCommand(config with { MaxKeys = 4 }));
        var missing = d.Run(Put("a", "1", "nope"));

        Assert.IsType<CreateKeyspaceResult>(first);
        Assert.IsType<CreateKeyspaceResult>(same);
        Assert.Equal(ErrorCode.PreconditionFailed, Code(different));
        Assert.Equal(ErrorCode.NotFound, Code(missing));
    }

    // Was a bug at b053d08: StateMachine.StateHash hashed keyspace names but not their configuration, so replicas that
    // would answer the next command differently compared equal.
    [Fact]
    public void StateHash_Differs_WhenKeyspaceConfigurationsDiffer()
    {
        var one = new Driver();
        var two = new Driver();
        one.Run(new CreateKeyspaceCommand(new KeyspaceConfig("ks", MaxKeys: 1)));
        two.Run(new CreateKeyspaceCommand(new KeyspaceConfig("ks", MaxKeys: 100)));

        Assert.NotEqual(StateMachine.StateHash(one.View), StateMachine.StateHash(two.View));
    }

    private static WatchEvent LastEvent(StateMachine machine)
    {
        var events = new List<WatchEvent>();
        Assert.True(machine.History.TryRead(0, int.MaxValue, events, out _));
        return events[^1];
    }
}
