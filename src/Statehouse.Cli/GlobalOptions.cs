using System.CommandLine;
using System.Globalization;

namespace Statehouse.Cli;

/// <summary>
/// The options every client command takes: <c>--endpoint</c>, <c>--keyspace</c>, <c>--json</c>, <c>--timeout</c>.
/// They are recursive, so <c>lease grant</c> and <c>keyspace list</c> take them too.
/// </summary>
internal sealed class GlobalOptions
{
    /// <summary>The environment variable that sets the default endpoint(s).</summary>
    public const string EndpointVariable = "STATEHOUSE_ENDPOINT";

    /// <summary>Where a node listens for gRPC by default (<c>statehouse serve</c>'s <c>--grpc</c>).</summary>
    public const string DefaultEndpoint = "http://127.0.0.1:7071";

    /// <summary>The longest --timeout: a year, far from TimeSpan's limits.</summary>
    public const double MaxTimeoutSeconds = 365 * 24 * 3600;

    public GlobalOptions(Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        Endpoint = new Option<string[]>("--endpoint")
        {
            Description = $"gRPC endpoint of a node, e.g. http://127.0.0.1:7071; repeat or comma-separate for several. Default: ${EndpointVariable} or {DefaultEndpoint}.",
            HelpName = "URL",
            Recursive = true,
            DefaultValueFactory = _ => [getEnvironmentVariable(EndpointVariable) is { Length: > 0 } fromEnv ? fromEnv : DefaultEndpoint],
        };
        Endpoint.Validators.Add(result =>
        {
            if (!TryParseEndpoints(result.GetValueOrDefault<string[]>() ?? [], out _, out var error))
            {
                result.AddError(error);
            }
        });

        Keyspace = new Option<string>("--keyspace")
        {
            Description = "The keyspace.",
            HelpName = "NAME",
            Recursive = true,
            DefaultValueFactory = _ => "default",
        };
        Keyspace.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>()))
            {
                result.AddError("--keyspace must not be empty.");
            }
        });

        Json = new Option<bool>("--json")
        {
            Description = "Machine output: one JSON document on stdout (JSON lines for watch); errors as JSON on stderr.",
            Recursive = true,
        };

        Timeout = new Option<double?>("--timeout")
        {
            Description = "Give up after this many seconds (the whole command, retries included; each request of watch and keepalive).",
            HelpName = "SECONDS",
            Recursive = true,
        };
        // Asking the result for its value would throw when the token is not a number; the parser reports that itself.
        Timeout.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1
                && double.TryParse(result.Tokens[0].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                && (!(seconds > 0) || seconds > MaxTimeoutSeconds))
            {
                result.AddError("--timeout must be a positive number of seconds (at most a year).");
            }
        });
    }

    public Option<string[]> Endpoint { get; }

    public Option<string> Keyspace { get; }

    public Option<bool> Json { get; }

    public Option<double?> Timeout { get; }

    /// <summary>Adds the options to a command (and, being recursive, to its subcommands).</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Endpoint);
        command.Options.Add(Keyspace);
        command.Options.Add(Json);
        command.Options.Add(Timeout);
    }

    /// <summary>Whether <c>--json</c> was given.</summary>
    public bool IsJson(ParseResult parse) => parse.GetValue(Json);

    /// <summary>The client settings the parsed options describe.</summary>
    public ClientSettings Read(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (!TryParseEndpoints(parse.GetValue(Endpoint) ?? [], out var endpoints, out var error))
        {
            throw new CliUsageException(error);
        }

        var timeout = parse.GetValue(Timeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        return new ClientSettings(endpoints, parse.GetValue(Keyspace)!, timeout);
    }

    /// <summary>
    /// Parses endpoints given as repeated and/or comma-separated values. <c>HOST:PORT</c> without a scheme means
    /// <c>http://HOST:PORT</c> (h2c), the way <c>statehouse serve --grpc</c> takes it.
    /// </summary>
    public static bool TryParseEndpoints(IEnumerable<string> values, out IReadOnlyList<Uri> endpoints, out string error)
    {
        var list = new List<Uri>();
        endpoints = list;
        error = string.Empty;
        foreach (var part in values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var text = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || string.IsNullOrEmpty(uri.Host))
            {
                error = string.Create(CultureInfo.InvariantCulture, $"--endpoint '{part}' is not an http:// or https:// URL.");
                return false;
            }

            list.Add(uri);
        }

        if (list.Count == 0)
        {
            error = "--endpoint needs at least one URL.";
            return false;
        }

        return true;
    }
}
