using System.Collections;
using System.Reflection;
using System.Text;

namespace Statehouse.Core.Tests.Support;

/// <summary>
/// Deep, reflection-based equality and printing for the Core model records. Records that hold <c>byte[]</c> or lists
/// compare by reference with their generated Equals, so codec and model tests compare them structurally instead.
/// </summary>
internal static class Structural
{
    /// <summary>Returns null when equal, else the path and the two values of the first difference.</summary>
    public static string? Diff(object? expected, object? actual, IReadOnlySet<string>? ignoredProperties = null) =>
        Diff(expected, actual, ignoredProperties, "$");

    public static bool AreEqual(object? expected, object? actual, IReadOnlySet<string>? ignoredProperties = null) =>
        Diff(expected, actual, ignoredProperties) is null;

    /// <summary>Throws with the first difference when the two values differ structurally.</summary>
    public static void AssertEqual(object? expected, object? actual, string context, IReadOnlySet<string>? ignoredProperties = null)
    {
        var diff = Diff(expected, actual, ignoredProperties);
        if (diff is not null)
        {
            throw new Xunit.Sdk.XunitException($"{context}: {diff}\n  expected: {Print(expected)}\n  actual:   {Print(actual)}");
        }
    }

    private static string? Diff(object? a, object? b, IReadOnlySet<string>? ignored, string path)
    {
        if (a is null || b is null)
        {
            return a is null && b is null ? null : $"{path}: {Print(a)} != {Print(b)}";
        }

        if (a is byte[] ba && b is byte[] bb)
        {
            return ba.AsSpan().SequenceEqual(bb) ? null : $"{path}: {Print(a)} != {Print(b)}";
        }

        var type = a.GetType();
        if (type.IsPrimitive || type.IsEnum || a is string || a is decimal)
        {
            return a.Equals(b) ? null : $"{path}: {Print(a)} != {Print(b)}";
        }

        if (a is IEnumerable ea && b is IEnumerable eb)
        {
            var la = ea.Cast<object?>().ToList();
            var lb = eb.Cast<object?>().ToList();
            if (la.Count != lb.Count)
            {
                return $"{path}: count {la.Count} != {lb.Count}";
            }

            for (var i = 0; i < la.Count; i++)
            {
                if (Diff(la[i], lb[i], ignored, $"{path}[{i}]") is { } inner)
                {
                    return inner;
                }
            }

            return null;
        }

        if (type != b.GetType())
        {
            return $"{path}: type {type.Name} != {b.GetType().Name}";
        }

        foreach (var property in Properties(type))
        {
            if (ignored is not null && ignored.Contains(property.Name))
            {
                continue;
            }

            if (Diff(property.GetValue(a), property.GetValue(b), ignored, $"{path}.{property.Name}") is { } inner)
            {
                return inner;
            }
        }

        return null;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Member[]> MembersByType = new();

    private static Member[] Properties(Type type) => MembersByType.GetOrAdd(type, static t => [.. FindMembers(t)]);

    private static IEnumerable<Member> FindMembers(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .Select(p => new Member(p.Name, p.GetValue))
            .Concat(type.GetFields(BindingFlags.Public | BindingFlags.Instance).Select(f => new Member(f.Name, f.GetValue)))
            .OrderBy(p => p.Name, StringComparer.Ordinal);

    private sealed record Member(string Name, Func<object?, object?> GetValue);

    /// <summary>A compact, readable rendering: bytes as quoted text with escapes, records as Name{Prop=...}, defaults left out.</summary>
    public static string Print(object? value)
    {
        var sb = new StringBuilder();
        Print(sb, value, 0);
        return sb.ToString();
    }

    public static string Bytes(byte[]? bytes)
    {
        if (bytes is null)
        {
            return "null";
        }

        var sb = new StringBuilder("'");
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and < 0x7F && b != '\'' && b != '\\')
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{b:X2}");
            }
        }

        return sb.Append('\'').ToString();
    }

    private static void Print(StringBuilder sb, object? value, int depth)
    {
        switch (value)
        {
            case null:
                sb.Append("null");
                return;
            case byte[] bytes:
                sb.Append(Bytes(bytes));
                return;
            case string s:
                sb.Append('"').Append(s.Length > 40 ? s[..40] + "…" : s).Append('"');
                return;
            case bool or Enum:
                sb.Append(value);
                return;
            case IFormattable f when value.GetType().IsPrimitive || value is decimal:
                sb.Append(f.ToString(null, System.Globalization.CultureInfo.InvariantCulture));
                return;
        }

        if (depth > 8)
        {
            sb.Append('…');
            return;
        }

        if (value is IEnumerable e)
        {
            sb.Append('[');
            var first = true;
            foreach (var item in e)
            {
                if (!first)
                {
                    sb.Append(", ");
                }

                first = false;
                Print(sb, item, depth + 1);
            }

            sb.Append(']');
            return;
        }

        var type = value.GetType();
        sb.Append(type.Name.Replace("Command", "", StringComparison.Ordinal).Replace("Operation", "Op", StringComparison.Ordinal)).Append('{');
        var any = false;
        foreach (var property in Properties(type))
        {
            var v = property.GetValue(value);
            if (IsDefault(v) && property.Name != "Keyspace" && property.Name != "Key")
            {
                continue;
            }

            if (any)
            {
                sb.Append(' ');
            }

            any = true;
            sb.Append(property.Name).Append('=');
            Print(sb, v, depth + 1);
        }

        sb.Append('}');
    }

    private static bool IsDefault(object? v) => v switch
    {
        null => true,
        bool b => !b,
        int i => i == 0,
        long l => l == 0,
        byte b => b == 0,
        Enum en => Convert.ToInt64(en, System.Globalization.CultureInfo.InvariantCulture) == 0,
        Core.Model.Precondition p => p.Kind == Core.Model.PreconditionKind.None,
        _ => false,
    };
}
