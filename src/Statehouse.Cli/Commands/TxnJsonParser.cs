using System.Globalization;
using System.Text;
using System.Text.Json;
using Statehouse.Client;

namespace Statehouse.Cli.Commands;

/// <summary>
/// Translates a transaction written as JSON, in the HTTP API's shape, into a <see cref="TxnBuilder"/>:
/// <c>{"compare":[{"key":"k","target":"modRevision","op":"==","number":5}],"success":[{"put":{"key":"k","value":"v"}}],"failure":[{"get":{"key":"k"}}]}</c>.
/// </summary>
/// <remarks>
/// Stricter than the HTTP API: an unknown property is an error (a misspelt <c>"sucess"</c> would otherwise make an
/// empty branch). Compares and operations without a <c>keyspace</c> use the command's <c>--keyspace</c>.
/// Keys and values are UTF-8 text (<c>key</c>, <c>value</c>) or base64 (<c>keyBase64</c>, <c>valueBase64</c>).
/// </remarks>
internal static class TxnJsonParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 16 };

    /// <summary>Adds the compares and both branches of <paramref name="json"/> to <paramref name="builder"/>.</summary>
    /// <exception cref="CliUsageException">The JSON is malformed or does not describe a transaction.</exception>
    public static TxnBuilder Apply(ReadOnlyMemory<byte> json, TxnBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new CliUsageException($"the transaction is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            var fields = Fields(root, "transaction", "compare", "success", "failure", "requestId");
            var compares = Items(fields, "compare").Select((e, i) => ToCompare(e, $"compare[{i}]")).ToArray();
            var success = Items(fields, "success").Select((e, i) => ToOp(e, $"success[{i}]")).ToArray();
            var failure = Items(fields, "failure").Select((e, i) => ToOp(e, $"failure[{i}]")).ToArray();
            if (compares.Length == 0 && success.Length == 0 && failure.Length == 0)
            {
                throw new CliUsageException("the transaction is empty: give compare, success and/or failure.");
            }

            return builder.If(compares).Then(success).Else(failure);
        }
    }

    private static Compare ToCompare(JsonElement element, string path)
    {
        var fields = Fields(element, path, "keyspace", "key", "keyBase64", "target", "op", "value", "valueBase64", "number");
        var keyspace = OptionalString(fields, "keyspace", path);
        var key = Bytes(fields, "key", path, required: true);
        var target = OptionalString(fields, "target", path) ?? throw Error(path, "target is required (value, version, modRevision, createRevision, exists or lease).");
        var op = OptionalString(fields, "op", path);
        switch (target)
        {
            case "value":
                var value = Bytes(fields, "value", path, required: true);
                return ParseOp(op, path) switch
                {
                    "==" => Compare.Value(key, keyspace) == value,
                    "!=" => Compare.Value(key, keyspace) != value,
                    _ => throw Error(path, "a value compare takes op == or !=."),
                };
            case "exists":
                var number = OptionalLong(fields, "number", path) ?? 1;
                if (number is not (0 or 1))
                {
                    throw Error(path, "number of an exists compare is 1 (exists) or 0 (absent).");
                }

                var exists = (op is null ? "==" : ParseOp(op, path)) switch
                {
                    "==" => number == 1,
                    "!=" => number == 0,
                    _ => throw Error(path, "an exists compare takes op == or !=."),
                };
                return exists ? Compare.Exists(key, keyspace) : Compare.Absent(key, keyspace);
            default:
                var property = target switch
                {
                    "version" => Compare.Version(key, keyspace),
                    "modRevision" => Compare.ModRevision(key, keyspace),
                    "createRevision" => Compare.CreateRevision(key, keyspace),
                    "lease" => Compare.Lease(key, keyspace),
                    _ => throw Error(path, $"target '{target}' is not one of value, version, modRevision, createRevision, exists, lease."),
                };
                var operand = OptionalLong(fields, "number", path) ?? throw Error(path, $"number is required for target {target}.");
                return ParseOp(op, path) switch
                {
                    "==" => property == operand,
                    "!=" => property != operand,
                    "<" => property < operand,
                    _ => property > operand,
                };
        }
    }

    /// <summary>The canonical operator (==, !=, &lt;, &gt;), accepting the HTTP API's aliases.</summary>
    private static string ParseOp(string? op, string path) => op switch
    {
        "==" or "=" or "eq" => "==",
        "!=" or "ne" => "!=",
        "<" or "lt" => "<",
        ">" or "gt" => ">",
        null => throw Error(path, "op is required (==, !=, < or >)."),
        _ => throw Error(path, $"op '{op}' is not one of ==, !=, <, >."),
    };

    private static Op ToOp(JsonElement element, string path)
    {
        var fields = Fields(element, path, "put", "delete", "get", "incr", "range");
        if (fields.Count != 1)
        {
            throw Error(path, "each operation holds exactly one of put, delete, get, incr, range.");
        }

        var (kind, body) = fields.Single();
        var at = $"{path}.{kind}";
        switch (kind)
        {
            case "put":
            {
                var put = Fields(body, at, "keyspace", "key", "keyBase64", "value", "valueBase64", "lease", "ttl", "prevKv");
                var lease = OptionalLong(put, "lease", at);
                var ttl = OptionalLong(put, "ttl", at);
                if (lease is not null && ttl is not null)
                {
                    throw Error(at, "lease and ttl cannot be used together.");
                }

                if (ttl is <= 0)
                {
                    throw Error(at, "ttl must be at least 1 second.");
                }

                return Op.Put(Bytes(put, "key", at, required: true), Bytes(put, "value", at, required: true), new PutOptions
                {
                    Keyspace = OptionalString(put, "keyspace", at),
                    Lease = lease ?? 0,
                    Ttl = ttl is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                    ReturnPrevious = OptionalBool(put, "prevKv", at) ?? false,
                });
            }

            case "delete":
            {
                var delete = Fields(body, at, "keyspace", "key", "keyBase64", "prefix", "rangeEnd", "prevKv");
                var prefix = OptionalBool(delete, "prefix", at) ?? false;
                var rangeEnd = OptionalString(delete, "rangeEnd", at);
                var key = Bytes(delete, "key", at, required: !prefix);
                if (prefix && rangeEnd is not null)
                {
                    throw Error(at, "prefix and rangeEnd cannot be used together.");
                }

                var range = prefix ? KeyRange.Prefix(key)
                    : rangeEnd is not null ? KeyRange.Between(key, Encoding.UTF8.GetBytes(rangeEnd))
                    : KeyRange.Single(key);
                return Op.Delete(range, new DeleteOptions
                {
                    Keyspace = OptionalString(delete, "keyspace", at),
                    ReturnPrevious = OptionalBool(delete, "prevKv", at) ?? false,
                });
            }

            case "get":
            {
                var get = Fields(body, at, "keyspace", "key", "keyBase64");
                return Op.Get(Bytes(get, "key", at, required: true), OptionalString(get, "keyspace", at));
            }

            case "incr":
            {
                var incr = Fields(body, at, "keyspace", "key", "keyBase64", "delta");
                return Op.Increment(Bytes(incr, "key", at, required: true), OptionalLong(incr, "delta", at) ?? 1, OptionalString(incr, "keyspace", at));
            }

            default:
            {
                var read = Fields(body, at, "keyspace", "prefix", "start", "end", "limit", "keysOnly");
                var prefix = OptionalString(read, "prefix", at);
                var start = OptionalString(read, "start", at);
                var end = OptionalString(read, "end", at);
                if (prefix is not null && (start is not null || end is not null))
                {
                    throw Error(at, "prefix cannot be used with start or end.");
                }

                var limit = OptionalLong(read, "limit", at) ?? 0;
                if (limit < 0)
                {
                    throw Error(at, "limit must not be negative.");
                }

                var range = prefix is not null ? KeyRange.Prefix(prefix)
                    : start is not null || end is not null ? KeyRange.Between(start ?? string.Empty, end ?? string.Empty)
                    : KeyRange.All;
                return Op.Range(range, new RangeOptions
                {
                    Keyspace = OptionalString(read, "keyspace", at),
                    Limit = limit,
                    KeysOnly = OptionalBool(read, "keysOnly", at) ?? false,
                });
            }
        }
    }

    /// <summary>The properties of an object, by their canonical (camelCase) names; names match case-insensitively, as in the HTTP API.</summary>
    private static Dictionary<string, JsonElement> Fields(JsonElement element, string path, params string[] allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Error(path, $"must be a JSON object, not {Describe(element.ValueKind)}.");
        }

        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var name = allowed.FirstOrDefault(a => string.Equals(a, property.Name, StringComparison.OrdinalIgnoreCase))
                ?? throw Error(path, $"unknown property '{property.Name}' (expected {string.Join(", ", allowed)}).");
            if (!fields.TryAdd(name, property.Value))
            {
                throw Error(path, $"property '{name}' appears twice.");
            }
        }

        // A JSON null means "not given", as with the HTTP API's serializer.
        foreach (var name in fields.Where(f => f.Value.ValueKind == JsonValueKind.Null).Select(f => f.Key).ToArray())
        {
            fields.Remove(name);
        }

        return fields;
    }

    private static IEnumerable<JsonElement> Items(Dictionary<string, JsonElement> fields, string name)
    {
        if (!fields.TryGetValue(name, out var value))
        {
            return [];
        }

        return value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().ToArray()
            : throw Error(name, $"must be a JSON array, not {Describe(value.ValueKind)}.");
    }

    /// <summary>The bytes of <c>name</c> (UTF-8 text) or <c>nameBase64</c>; empty when optional and absent.</summary>
    private static byte[] Bytes(Dictionary<string, JsonElement> fields, string name, string path, bool required)
    {
        var text = OptionalString(fields, name, path);
        var base64 = OptionalString(fields, name + "Base64", path);
        if (text is not null && base64 is not null)
        {
            throw Error(path, $"give {name} or {name}Base64, not both.");
        }

        if (base64 is not null)
        {
            try
            {
                return Convert.FromBase64String(base64);
            }
            catch (FormatException ex)
            {
                throw new CliUsageException($"{path}: {name}Base64 is not valid base64.", ex);
            }
        }

        if (text is not null)
        {
            return Encoding.UTF8.GetBytes(text);
        }

        return required ? throw Error(path, $"{name} (or {name}Base64) is required.") : [];
    }

    private static string? OptionalString(Dictionary<string, JsonElement> fields, string name, string path) =>
        !fields.TryGetValue(name, out var value) ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw Error(path, $"{name} must be a string, not {Describe(value.ValueKind)}.");

    private static long? OptionalLong(Dictionary<string, JsonElement> fields, string name, string path) =>
        !fields.TryGetValue(name, out var value) ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number
        : throw Error(path, $"{name} must be an integer.");

    private static bool? OptionalBool(Dictionary<string, JsonElement> fields, string name, string path) =>
        !fields.TryGetValue(name, out var value) ? null
        : value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean()
        : throw Error(path, $"{name} must be true or false.");

    private static string Describe(JsonValueKind kind) => kind.ToString().ToLower(CultureInfo.InvariantCulture) switch
    {
        "array" => "an array",
        "object" => "an object",
        var other => other,
    };

    private static CliUsageException Error(string path, string message) => new($"{path}: {message}");
}
