using Grpc.Core;
using Statehouse.Client.Tests.Fakes;

namespace Statehouse.Client.Tests;

public sealed class StatehouseExceptionTests
{
    public static TheoryData<StatehouseErrorCode, StatusCode, bool> Table => new()
    {
        { StatehouseErrorCode.NotFound, StatusCode.NotFound, false },
        { StatehouseErrorCode.PreconditionFailed, StatusCode.FailedPrecondition, false },
        { StatehouseErrorCode.NotLeader, StatusCode.Unavailable, true },
        { StatehouseErrorCode.Unavailable, StatusCode.Unavailable, true },
        { StatehouseErrorCode.Timeout, StatusCode.DeadlineExceeded, true },
        { StatehouseErrorCode.Compacted, StatusCode.OutOfRange, false },
        { StatehouseErrorCode.InvalidArgument, StatusCode.InvalidArgument, false },
        { StatehouseErrorCode.QuotaExceeded, StatusCode.ResourceExhausted, false },
        { StatehouseErrorCode.Unauthenticated, StatusCode.Unauthenticated, false },
        { StatehouseErrorCode.PermissionDenied, StatusCode.PermissionDenied, false },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void FromRpcException_UsesTrailerCode_WhenTrailerPresent(StatehouseErrorCode code, StatusCode status, bool transient)
    {
        Assert.Equal(status, StatehouseErrorMapping.ToStatusCode(code));
        var rpc = new RpcException(new Status(status, "boom"), new Metadata { { "statehouse-code", code.ToString() } });

        var error = StatehouseException.FromRpcException(rpc);

        Assert.Equal(code, error.Code);
        Assert.Equal(status, error.GrpcStatusCode);
        Assert.Equal(transient, error.IsTransient);
        Assert.Same(rpc, error.InnerException);
        Assert.Contains("boom", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void FromRpcException_DerivesCodeFromStatus_WhenTrailerMissing(StatehouseErrorCode code, StatusCode status, bool transient)
    {
        var error = StatehouseException.FromRpcException(new RpcException(new Status(status, "boom")));

        // NotLeader and Unavailable share a status; without a leader trailer it reads as Unavailable.
        var expected = code == StatehouseErrorCode.NotLeader ? StatehouseErrorCode.Unavailable : code;
        Assert.Equal(expected, error.Code);
        Assert.Equal(transient, error.IsTransient);
    }

    [Theory]
    [InlineData(StatusCode.Internal, true)]
    [InlineData(StatusCode.Unknown, false)]
    [InlineData(StatusCode.Aborted, false)]
    [InlineData(StatusCode.Cancelled, false)]
    public void FromRpcException_ReportsUnavailable_ForStatusesOutsideTheContract(StatusCode status, bool transient)
    {
        var error = StatehouseException.FromRpcException(Faults.Bare(status));

        Assert.Equal(StatehouseErrorCode.Unavailable, error.Code);
        Assert.Equal(transient, error.IsTransient);
    }

    [Fact]
    public void FromRpcException_ReadsCurrentRevision_ForPreconditionFailed()
    {
        var error = StatehouseException.FromRpcException(Faults.Error(StatehouseErrorCode.PreconditionFailed, currentRevision: 17));

        Assert.Equal(StatehouseErrorCode.PreconditionFailed, error.Code);
        Assert.Equal(17, error.CurrentRevision);
        Assert.Null(error.CompactRevision);
        Assert.Null(error.LeaderHint);
    }

    [Fact]
    public void FromRpcException_ReadsCompactRevision_ForCompacted()
    {
        var error = StatehouseException.FromRpcException(Faults.Error(StatehouseErrorCode.Compacted, compactRevision: 900));

        Assert.Equal(StatehouseErrorCode.Compacted, error.Code);
        Assert.Equal(900, error.CompactRevision);
    }

    [Fact]
    public void FromRpcException_ReadsLeaderHint_ForNotLeader()
    {
        var error = StatehouseException.FromRpcException(Faults.Error(StatehouseErrorCode.NotLeader, leader: "10.0.0.2:7071"));

        Assert.Equal(StatehouseErrorCode.NotLeader, error.Code);
        Assert.Equal("10.0.0.2:7071", error.LeaderHint);
        Assert.True(error.IsTransient);
    }

    [Fact]
    public void FromRpcException_DerivesNotLeader_WhenOnlyLeaderTrailerPresent()
    {
        var rpc = new RpcException(new Status(StatusCode.Unavailable, "not leader"), new Metadata { { "statehouse-leader", "http://n2:7071" } });

        var error = StatehouseException.FromRpcException(rpc);

        Assert.Equal(StatehouseErrorCode.NotLeader, error.Code);
        Assert.Equal("http://n2:7071", error.LeaderHint);
    }

    [Theory]
    [InlineData("Bogus")]
    [InlineData("3")]
    [InlineData("")]
    public void FromRpcException_DerivesCodeFromStatus_WhenTrailerIsUnknown(string trailer)
    {
        var rpc = new RpcException(new Status(StatusCode.NotFound, "x"), new Metadata { { "statehouse-code", trailer } });

        Assert.Equal(StatehouseErrorCode.NotFound, StatehouseException.FromRpcException(rpc).Code);
    }

    [Fact]
    public void FromRpcException_AcceptsCodeInAnyCase()
    {
        var rpc = new RpcException(new Status(StatusCode.FailedPrecondition, "x"), new Metadata { { "statehouse-code", "preconditionfailed" } });

        Assert.Equal(StatehouseErrorCode.PreconditionFailed, StatehouseException.FromRpcException(rpc).Code);
    }

    [Fact]
    public void FromRpcException_IgnoresMalformedRevisionTrailers()
    {
        var rpc = new RpcException(
            new Status(StatusCode.FailedPrecondition, "x"),
            new Metadata { { "statehouse-code", "PreconditionFailed" }, { "statehouse-current-revision", "abc" } });

        Assert.Null(StatehouseException.FromRpcException(rpc).CurrentRevision);
    }
}
