using System.Text;
using Google.Protobuf;
using Statehouse.Client.Tests.Fakes;
using Wire = Statehouse.V1;

namespace Statehouse.Client.Tests;

public sealed class TxnBuilderTests
{
    [Fact]
    public void ToProto_BuildsComparesAndBranches_WithDefaultKeyspace()
    {
        var txn = new TxnBuilder(null, null)
            .If(Compare.ModRevision("k") == 5)
            .Then(Op.Put("k", "v"))
            .Else(Op.Get("k"));

        var proto = txn.ToProto("default");

        var compare = Assert.Single(proto.Compares);
        Assert.Equal("default", compare.Keyspace);
        Assert.Equal(ByteString.CopyFromUtf8("k"), compare.Key);
        Assert.Equal(Wire.Compare.Types.Target.ModRevision, compare.Target);
        Assert.Equal(Wire.Compare.Types.Op.Equal, compare.Op);
        Assert.Equal(5, compare.Number);

        var put = Assert.Single(proto.Success).Put;
        Assert.Equal("default", put.Keyspace);
        Assert.Equal("k", put.Key.ToStringUtf8());
        Assert.Equal("v", put.Value.ToStringUtf8());
        Assert.Null(put.Precondition);
        Assert.Empty(put.RequestId);

        var get = Assert.Single(proto.Failure).Get;
        Assert.Equal("default", get.Keyspace);
        Assert.Equal("k", get.Key.ToStringUtf8());
        Assert.Empty(proto.RequestId);
    }

    [Fact]
    public void ToProto_MapsEveryCompareOperatorAndTarget()
    {
        var proto = new TxnBuilder(null, "ks")
            .If(
                Compare.Version("a") != 1,
                Compare.CreateRevision("b") < 2,
                Compare.Lease("c") > 3,
                Compare.Value("d") == "x",
                Compare.Value("e") != new byte[] { 1, 2 },
                Compare.Exists("f"),
                Compare.Absent("g", keyspace: "other"))
            .ToProto("default");

        var c = proto.Compares;
        Assert.Equal(7, c.Count);
        Assert.Equal((Wire.Compare.Types.Target.Version, Wire.Compare.Types.Op.NotEqual, 1L), (c[0].Target, c[0].Op, c[0].Number));
        Assert.Equal((Wire.Compare.Types.Target.CreateRevision, Wire.Compare.Types.Op.Less, 2L), (c[1].Target, c[1].Op, c[1].Number));
        Assert.Equal((Wire.Compare.Types.Target.Lease, Wire.Compare.Types.Op.Greater, 3L), (c[2].Target, c[2].Op, c[2].Number));
        Assert.Equal((Wire.Compare.Types.Target.Value, Wire.Compare.Types.Op.Equal, "x"), (c[3].Target, c[3].Op, c[3].Value.ToStringUtf8()));
        Assert.Equal((Wire.Compare.Types.Target.Value, Wire.Compare.Types.Op.NotEqual), (c[4].Target, c[4].Op));
        Assert.Equal(new byte[] { 1, 2 }, c[4].Value.ToByteArray());
        Assert.Equal((Wire.Compare.Types.Target.Exists, Wire.Compare.Types.Op.Equal, 1L), (c[5].Target, c[5].Op, c[5].Number));
        Assert.Equal((Wire.Compare.Types.Target.Exists, Wire.Compare.Types.Op.Equal, 0L), (c[6].Target, c[6].Op, c[6].Number));
        Assert.Equal(["ks", "ks", "ks", "ks", "ks", "ks", "other"], c.Select(x => x.Keyspace));
    }

    [Fact]
    public void ToProto_CarriesOperationOptions()
    {
        var proto = new TxnBuilder(null, null)
            .Then(
                Op.Put("k", Encoding.UTF8.GetBytes("v"), new PutOptions { Keyspace = "carts", Precondition = Precondition.IfModRevision(9), Lease = 7, ReturnPrevious = true }),
                Op.Delete(KeyRange.Prefix("cart/")),
                Op.Delete(KeyRange.Between("a", "m")),
                Op.Increment("n", 3),
                Op.Range(KeyRange.Prefix("p"), new RangeOptions { Limit = 10, KeysOnly = true }))
            .ToProto("default");

        var ops = proto.Success;
        Assert.Equal("carts", ops[0].Put.Keyspace);
        Assert.Equal(9, ops[0].Put.Precondition.IfModRevision);
        Assert.Equal(7, ops[0].Put.Lease);
        Assert.True(ops[0].Put.ReturnPrevious);

        Assert.True(ops[1].Delete.Prefix);
        Assert.Equal("cart/", ops[1].Delete.Key.ToStringUtf8());
        Assert.Equal("default", ops[1].Delete.Keyspace);

        Assert.False(ops[2].Delete.Prefix);
        Assert.Equal(("a", "m"), (ops[2].Delete.Key.ToStringUtf8(), ops[2].Delete.RangeEnd.ToStringUtf8()));

        Assert.Equal(3, ops[3].Increment.Delta);
        Assert.Equal("p", ops[4].Range.Prefix.ToStringUtf8());
        Assert.Equal(10, ops[4].Range.Limit);
        Assert.True(ops[4].Range.KeysOnly);
    }

    [Fact]
    public void ToProto_DoesNotShareState_BetweenBuilds()
    {
        var op = Op.Put("k", "v");

        var first = new TxnBuilder(null, "a").Then(op).ToProto("default");
        var second = new TxnBuilder(null, "b").Then(op).ToProto("default");

        Assert.Equal("a", first.Success[0].Put.Keyspace);
        Assert.Equal("b", second.Success[0].Put.Keyspace);
    }

    [Fact]
    public void CommitAsync_Throws_WhenBuilderIsUnbound()
    {
        Assert.Throws<InvalidOperationException>(() => new TxnBuilder(null, null).CommitAsync());
    }

    [Fact]
    public async Task TxnAsync_SendsOneRequestIdAndMapsResults()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = server.CreateClient();
        var put = await client.PutAsync("k", "v1");

        var result = await client.Txn()
            .If(Compare.ModRevision("k") == put.Revision)
            .Then(Op.Put("k", "v2"), Op.Get("k"))
            .Else(Op.Get("k"))
            .CommitAsync();

        Assert.True(result.Succeeded);
        Assert.Equal([TxnOpKind.Put, TxnOpKind.Get], result.Results.Select(r => r.Kind));
        Assert.Equal("v2", result.Results[1].Get!.Entry!.ValueAsString());
        var sent = Assert.Single(server.Kv.Txns);
        Assert.StartsWith("test/", sent.RequestId, StringComparison.Ordinal);

        var lost = await client.Txn().If(Compare.ModRevision("k") == put.Revision).Then(Op.Delete("k")).Else(Op.Get("k")).CommitAsync();
        Assert.False(lost.Succeeded);
        Assert.Equal("v2", Assert.Single(lost.Results).Get!.Entry!.ValueAsString());
    }

    [Fact]
    public async Task BatchAsync_AppliesEveryOperation()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = server.CreateClient();

        var result = await client.BatchAsync([Op.Put("a", "1"), Op.Put("b", "2")]);

        Assert.True(result.Succeeded);
        Assert.Empty(Assert.Single(server.Kv.Txns).Compares);
        Assert.Equal("2", server.Kv.Read("default", "b")!.Value.ToStringUtf8());
    }
}
