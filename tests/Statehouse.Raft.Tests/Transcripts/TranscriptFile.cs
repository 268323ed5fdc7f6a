using System.Text;

namespace Statehouse.Raft.Tests.Transcripts;

/// <summary>One command of a transcript with the output it is expected to print.</summary>
/// <param name="Line">The command's line number in the file (1-based), for failure messages.</param>
/// <param name="Leading">Comment and blank lines before the command, kept verbatim when the file is rewritten.</param>
/// <param name="Text">The command line.</param>
/// <param name="Expected">The expected output (no trailing newline).</param>
internal sealed record TranscriptStep(int Line, string Leading, string Text, string Expected);

/// <summary>
/// A transcript in etcd's datadriven layout: a command line, a <c>----</c> line, the expected output, a blank line.
/// Lines starting with <c>#</c> outside a block are comments. Output never contains a blank line (an empty output is
/// written <c>ok</c>), so the blank line always ends a block.
/// </summary>
internal sealed class TranscriptFile
{
    public const string Separator = "----";

    private TranscriptFile(IReadOnlyList<TranscriptStep> steps, string trailing)
    {
        Steps = steps;
        Trailing = trailing;
    }

    public IReadOnlyList<TranscriptStep> Steps { get; }

    /// <summary>Comments after the last command.</summary>
    public string Trailing { get; }

    public static TranscriptFile Parse(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var steps = new List<TranscriptStep>();
        var leading = new StringBuilder();
        var i = 0;
        while (i < lines.Length)
        {
            var line = lines[i];
            if (line.Length == 0 || line.StartsWith('#'))
            {
                leading.Append(line).Append('\n');
                i++;
                continue;
            }

            var commandLine = i + 1;
            i++;
            if (i >= lines.Length || lines[i] != Separator)
            {
                throw new FormatException($"line {commandLine}: a command must be followed by a '{Separator}' line");
            }

            i++;
            var expected = new List<string>();
            while (i < lines.Length && lines[i].Length > 0)
            {
                expected.Add(lines[i]);
                i++;
            }

            steps.Add(new TranscriptStep(commandLine, leading.ToString(), line, string.Join('\n', expected)));
            leading.Clear();
        }

        return new TranscriptFile(steps, leading.ToString().TrimEnd('\n'));
    }

    /// <summary>The file as it would read with <paramref name="outputs"/> (one per step) as the expected outputs.</summary>
    public string Render(IReadOnlyList<string> outputs)
    {
        var text = new StringBuilder();
        for (var i = 0; i < Steps.Count; i++)
        {
            var step = Steps[i];
            text.Append(step.Leading).Append(step.Text).Append('\n').Append(Separator).Append('\n');
            // The blank line that ends a block is the next step's leading text (or the trailing text).
            text.Append(outputs[i]).Append('\n');
        }

        if (Trailing.Length > 0)
        {
            text.Append(Trailing).Append('\n');
        }

        return text.ToString();
    }
}

/// <summary>A parsed command line: a name, positional arguments and key=value options.</summary>
internal sealed class TranscriptCommand
{
    private readonly Dictionary<string, string> _options = [];
    private readonly HashSet<string> _used = [];

    public TranscriptCommand(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Name = parts[0];
        var positional = new List<string>();
        foreach (var part in parts.Skip(1))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                _options[part[..equals]] = part[(equals + 1)..];
            }
            else
            {
                positional.Add(part);
            }
        }

        Args = positional;
    }

    public string Name { get; }

    public IReadOnlyList<string> Args { get; }

    public string Arg(int index) =>
        index < Args.Count ? Args[index] : throw new FormatException($"{Name}: argument {index + 1} is missing");

    public ulong NodeArg(int index) => ulong.Parse(Arg(index), System.Globalization.CultureInfo.InvariantCulture);

    public IEnumerable<ulong> NodeArgs(int from = 0) =>
        Args.Skip(from).Select(a => ulong.Parse(a, System.Globalization.CultureInfo.InvariantCulture));

    public string? Option(string key)
    {
        _used.Add(key);
        return _options.TryGetValue(key, out var value) ? value : null;
    }

    public long? LongOption(string key) =>
        Option(key) is { } value ? long.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : null;

    public bool BoolOption(string key, bool defaultValue) =>
        Option(key) is { } value ? bool.Parse(value) : defaultValue;

    public IReadOnlyList<ulong>? ListOption(string key) =>
        Option(key) is { } value
            ? value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => ulong.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
            : null;

    /// <summary>Options the command did not read: a typo in a transcript must fail, not be ignored.</summary>
    public IEnumerable<string> UnusedOptions => _options.Keys.Where(k => !_used.Contains(k));
}
