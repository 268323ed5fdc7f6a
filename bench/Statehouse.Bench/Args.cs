using System.Globalization;

namespace Statehouse.Bench;

/// <summary>"--name value" and "--flag" arguments. Every option must be read once; unknown ones are an error.</summary>
internal sealed class Args
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public Args(IReadOnlyList<string> argv, int start)
    {
        for (var i = start; i < argv.Count; i++)
        {
            var name = argv[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Expected an option, got '{name}'.");
            }

            var hasValue = i + 1 < argv.Count && !argv[i + 1].StartsWith("--", StringComparison.Ordinal);
            _values[name[2..]] = hasValue ? argv[++i] : "true";
        }
    }

    public string Str(string name, string defaultValue) => Get(name) ?? defaultValue;

    public string? OptionalStr(string name) => Get(name);

    public string RequiredStr(string name) => Get(name) ?? throw new ArgumentException($"--{name} is required.");

    public int Int(string name, int defaultValue) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : defaultValue;

    public long Long(string name, long defaultValue) => Get(name) is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : defaultValue;

    public double Double(string name, double defaultValue) => Get(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : defaultValue;

    public bool Flag(string name) => Get(name) is { } v && v != "false";

    /// <summary>Call after every option was read: a typo must not silently fall back to a default.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"Unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}");
        }
    }

    private string? Get(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var v) ? v : null;
    }
}
