using System.Text;

namespace Statehouse.Cli;

/// <summary>
/// Keys and values are bytes; on the command line they are UTF-8 text. Bytes that are not valid UTF-8 are shown as
/// base64: in text output behind a <c>base64:</c> prefix, in JSON with the encoding named.
/// </summary>
internal static class Utf8Text
{
    /// <summary>The encoding name of valid UTF-8 text in JSON output.</summary>
    public const string Utf8 = "utf8";

    /// <summary>The encoding name of base64 text in JSON output.</summary>
    public const string Base64 = "base64";

    /// <summary>The prefix of base64 text in text output.</summary>
    public const string Base64Prefix = "base64:";

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The bytes as text and the encoding used: UTF-8 where valid, else base64.</summary>
    public static (string Text, string Encoding) Encode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return (Strict.GetString(bytes), Utf8);
        }
        catch (DecoderFallbackException)
        {
            return (Convert.ToBase64String(bytes), Base64);
        }
    }

    /// <summary>The bytes for text output: UTF-8 text, or <c>base64:...</c> when not valid UTF-8.</summary>
    public static string Display(ReadOnlySpan<byte> bytes)
    {
        var (text, encoding) = Encode(bytes);
        return encoding == Utf8 ? text : Base64Prefix + text;
    }

    /// <summary>
    /// Text for one line of output: control characters (newlines, tabs) escaped as <c>\n</c>, <c>\t</c>,
    /// <c>\xNN</c> so that one record stays on one line; a backslash becomes <c>\\</c>.
    /// </summary>
    public static string OneLine(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(c => char.IsControl(c) || c == '\\'))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            _ = c switch
            {
                '\\' => builder.Append(@"\\"),
                '\n' => builder.Append(@"\n"),
                '\r' => builder.Append(@"\r"),
                '\t' => builder.Append(@"\t"),
                _ when char.IsControl(c) => builder.Append(@"\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }

    /// <summary>At most <paramref name="maxChars"/> characters of one-line text, with an ellipsis when cut.</summary>
    public static string Preview(string text, int maxChars)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChars, 2);
        var line = OneLine(text);
        return line.Length <= maxChars ? line : string.Concat(line.AsSpan(0, maxChars - 1), "…");
    }

    /// <summary>The UTF-8 bytes of command-line text.</summary>
    public static byte[] GetBytes(string text) => Encoding.UTF8.GetBytes(text);
}
