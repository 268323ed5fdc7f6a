using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Statehouse.Core;

namespace Statehouse.Server.Http;

/// <summary>
/// Reads a key from the raw request target so every byte survives: ASP.NET decodes paths but keeps %2F, and keys may
/// hold '/', ':', '%' or any byte. The key is everything after <c>/{route}/{keyspace}/</c>, percent-decoded to bytes.
/// </summary>
internal static class RawPath
{
    /// <summary>The key bytes after the given number of leading path segments (e.g. 3 for /v1/kv/{keyspace}/...).</summary>
    public static byte[] KeyAfterSegments(HttpContext context, int segments)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            raw = raw[..query];
        }

        if (!raw.StartsWith('/'))
        {
            // Absolute form (GET http://host/v1/kv/... HTTP/1.1): drop scheme and authority.
            var scheme = raw.IndexOf("://", StringComparison.Ordinal);
            var pathStart = scheme >= 0 ? raw.IndexOf('/', scheme + 3) : -1;
            raw = pathStart >= 0 ? raw[pathStart..] : "/";
        }

        var position = 0;
        for (var i = 0; i < segments + 1; i++)
        {
            position = raw.IndexOf('/', position);
            if (position < 0)
            {
                throw new StatehouseException(ErrorCode.InvalidArgument, "The path has no key.");
            }

            position++;
        }

        var key = PercentDecode(raw.AsSpan(position));
        return key.Length == 0 ? throw new StatehouseException(ErrorCode.InvalidArgument, "Key must not be empty.") : key;
    }

    /// <summary>Decodes %XX escapes to bytes; other characters are taken as UTF-8.</summary>
    public static byte[] PercentDecode(ReadOnlySpan<char> text)
    {
        var output = new List<byte>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '%')
            {
                if (i + 2 >= text.Length || !IsHex(text[i + 1]) || !IsHex(text[i + 2]))
                {
                    throw new StatehouseException(ErrorCode.InvalidArgument, "The key has a malformed percent escape.");
                }

                output.Add((byte)((Hex(text[i + 1]) << 4) | Hex(text[i + 2])));
                i += 2;
            }
            else if (char.IsSurrogate(c))
            {
                if (i + 1 >= text.Length)
                {
                    throw new StatehouseException(ErrorCode.InvalidArgument, "The key has a broken surrogate pair.");
                }

                var n = System.Text.Encoding.UTF8.GetBytes(text.Slice(i, 2), utf8);
                output.AddRange(utf8[..n].ToArray());
                i++;
            }
            else
            {
                var n = System.Text.Encoding.UTF8.GetBytes(text.Slice(i, 1), utf8);
                for (var j = 0; j < n; j++)
                {
                    output.Add(utf8[j]);
                }
            }
        }

        return [.. output];
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int Hex(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
