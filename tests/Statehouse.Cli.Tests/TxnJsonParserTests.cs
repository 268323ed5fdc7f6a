using System.Text;
using Statehouse.Cli.Commands;
using Statehouse.Client;

namespace Statehouse.Cli.Tests;

public sealed class TxnJsonParserTests
{
    private static readonly StateClient Client = new(new StateClientOptions());

    [Fact]
    public void Apply_TranslatesTheDocumentedExample()
    {
        var txn = Parse("""{"compare":[{"key":"k","target":"modRevision","op":"==","number":5}],"success":[{"put":{"key":"k","value":"v"}}],"failure":[{"get":{"key":"k"}}]}""");

        AssertSame([Compare.ModRevision("k") == 5], txn.Compares);
        AssertSame([Op.Put("k", "v")], txn.ThenOps);
        AssertSame([Op.Get("k")], txn.ElseOps);
    }

    [Theory]
    [InlineData("version", "==", 3)]
    [InlineData("modRevision", "!=", 4)]
    [InlineData("createRevision", "<", 5)]
    [InlineData("lease", ">", 6)]
    [InlineData("version", "eq", 3)]
    [InlineData("version", "gt", 3)]
    public void Apply_TranslatesNumericCompares(string target, string op, long number)
    {
        var txn = Parse($$"""{"compare":[{"key":"k","target":"{{target}}","op":"{{op}}","number":{{number}}}]}""");

        CompareTarget property = target switch
        {
            "version" => Compare.Version("k"),
            "modRevision" => Compare.ModRevision("k"),
            "createRevision" => Compare.CreateRevision("k"),
            _ => Compare.Lease("k"),
        };
        var expected = op switch
        {
            "==" or "eq" => property == number,
            "!=" => property != number,
            "<" => property < number,
            _ => property > number,
        };
        AssertSame([expected], txn.Compares);
    }

    [Fact]
    public void Apply_TranslatesValueAndExistenceCompares()
    {
        var txn = Parse("""
            {"compare":[
              {"key":"a","target":"value","op":"==","value":"x"},
              {"key":"b","target":"value","op":"!=","valueBase64":"/wA="},
              {"key":"c","target":"exists"},
              {"key":"d","target":"exists","number":0},
              {"key":"e","target":"exists","op":"!=","number":1, "keyspace":"other"}
            ]}
            """);

        AssertSame(
            [
                Compare.Value("a") == "x",
                Compare.Value("b") != new byte[] { 0xff, 0x00 },
                Compare.Exists("c"),
                Compare.Absent("d"),
                Compare.Absent("e", "other"),
            ],
            txn.Compares);
        Assert.Equal("other", txn.Compares[4].Keyspace);
        Assert.Null(txn.Compares[0].Keyspace);
    }

    [Fact]
    public void Apply_TranslatesEveryOperationKind()
    {
        var txn = Parse("""
            {"success":[
              {"put":{"key":"k","value":"v","lease":7,"prevKv":true}},
              {"put":{"keyBase64":"/w==","valueBase64":"AAE=","ttl":30,"keyspace":"ks"}},
              {"delete":{"key":"k"}},
              {"delete":{"key":"p/","prefix":true}},
              {"delete":{"key":"a","rangeEnd":"m","prevKv":true}},
              {"incr":{"key":"n","delta":-2}},
              {"incr":{"key":"n"}},
              {"range":{"prefix":"p/","limit":10,"keysOnly":true}},
              {"range":{"start":"a","end":"m"}},
              {"get":{"key":"g","keyspace":"ks"}}
            ]}
            """);

        AssertSame(
            [
                Op.Put("k", "v", new PutOptions { Lease = 7, ReturnPrevious = true }),
                Op.Put(new byte[] { 0xff }, new byte[] { 0x00, 0x01 }, new PutOptions { Ttl = TimeSpan.FromSeconds(30), Keyspace = "ks" }),
                Op.Delete("k"),
                Op.Delete(KeyRange.Prefix("p/")),
                Op.Delete(KeyRange.Between("a", "m"), new DeleteOptions { ReturnPrevious = true }),
                Op.Increment("n", -2),
                Op.Increment("n"),
                Op.Range(KeyRange.Prefix("p/"), new RangeOptions { Limit = 10, KeysOnly = true }),
                Op.Range(KeyRange.Between("a", "m")),
                Op.Get("g", "ks"),
            ],
            txn.ThenOps);
        Assert.Equal("ks", txn.ThenOps[1].Keyspace);
        Assert.Equal("ks", txn.ThenOps[9].Keyspace);
        Assert.Empty(txn.Compares);
        Assert.Empty(txn.ElseOps);
    }

    [Fact]
    public void Apply_AcceptsCaseInsensitiveNames_CommentsAndTrailingCommas()
    {
        var txn = Parse("""
            // guarded write
            {"Compare":[{"Key":"k","Target":"version","Op":"==","Number":0},],"SUCCESS":[{"Put":{"key":"k","value":"v"}}],"requestId":"ignored"}
            """);

        AssertSame([Compare.Version("k") == 0], txn.Compares);
        AssertSame([Op.Put("k", "v")], txn.ThenOps);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[]", "transaction: must be a JSON object, not an array")]
    [InlineData("{}", "the transaction is empty")]
    [InlineData("""{"compare":[],"success":[]}""", "the transaction is empty")]
    [InlineData("""{"sucess":[{"get":{"key":"k"}}]}""", "unknown property 'sucess'")]
    [InlineData("""{"success":{"get":{"key":"k"}}}""", "success: must be a JSON array")]
    [InlineData("""{"compare":[{"key":"k","target":"size","op":"==","number":1}]}""", "compare[0]: target 'size' is not one of")]
    [InlineData("""{"compare":[{"key":"k","op":"==","number":1}]}""", "compare[0]: target is required")]
    [InlineData("""{"compare":[{"key":"k","target":"version","number":1}]}""", "compare[0]: op is required")]
    [InlineData("""{"compare":[{"key":"k","target":"version","op":">=","number":1}]}""", "op '>=' is not one of")]
    [InlineData("""{"compare":[{"key":"k","target":"version","op":"=="}]}""", "number is required for target version")]
    [InlineData("""{"compare":[{"key":"k","target":"version","op":"==","number":"1"}]}""", "number must be an integer")]
    [InlineData("""{"compare":[{"key":"k","target":"value","op":"<","value":"x"}]}""", "a value compare takes op == or !=")]
    [InlineData("""{"compare":[{"key":"k","target":"exists","number":2}]}""", "number of an exists compare is 1 (exists) or 0 (absent)")]
    [InlineData("""{"compare":[{"target":"version","op":"==","number":1}]}""", "compare[0]: key (or keyBase64) is required")]
    [InlineData("""{"compare":[{"key":"k","keyBase64":"aw==","target":"version","op":"==","number":1}]}""", "give key or keyBase64, not both")]
    [InlineData("""{"success":[{"put":{"key":"k","valueBase64":"%%%"}}]}""", "success[0].put: valueBase64 is not valid base64")]
    [InlineData("""{"success":[{"put":{"key":"k"}}]}""", "success[0].put: value (or valueBase64) is required")]
    [InlineData("""{"success":[{"put":{"key":"k","value":"v","lease":1,"ttl":5}}]}""", "lease and ttl cannot be used together")]
    [InlineData("""{"success":[{"put":{"key":"k","value":"v","ttl":0}}]}""", "ttl must be at least 1 second")]
    [InlineData("""{"success":[{"get":{"key":"k"},"put":{"key":"k","value":"v"}}]}""", "exactly one of put, delete, get, incr, range")]
    [InlineData("""{"success":[{}]}""", "exactly one of put, delete, get, incr, range")]
    [InlineData("""{"failure":[{"delete":{"key":"k","prefix":true,"rangeEnd":"z"}}]}""", "failure[0].delete: prefix and rangeEnd cannot be used together")]
    [InlineData("""{"failure":[{"delete":{"key":"k","prefix":"yes"}}]}""", "prefix must be true or false")]
    [InlineData("""{"failure":[{"range":{"prefix":"p","start":"a"}}]}""", "prefix cannot be used with start or end")]
    [InlineData("""{"failure":[{"get":{"key":"k","revision":3}}]}""", "failure[0].get: unknown property 'revision'")]
    public void Apply_RejectsMalformedTransactions_WithAUsageError(string json, string message)
    {
        var error = Assert.Throws<CliUsageException>(() => Parse(json));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static TxnBuilder Parse(string json) => TxnJsonParser.Apply(Encoding.UTF8.GetBytes(json), Client.Txn());

    /// <summary>Compares and ops have no equality; their descriptions name target, operator, key and wire request.</summary>
    private static void AssertSame<T>(IReadOnlyList<T> expected, IReadOnlyList<T> actual)
        where T : class
    {
        Assert.Equal(expected.Select(e => e.ToString()), actual.Select(a => a.ToString()));
    }
}
