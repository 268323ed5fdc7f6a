using System.Text;
using Spectre.Console;

namespace Statehouse.Cli.Tests.Support;

/// <summary>Runs command lines against a <see cref="FakeClient"/>, capturing stdout (text and raw bytes) and stderr.</summary>
internal sealed class CliHarness
{
    private readonly MemoryStream _stdout = new();
    private readonly StringWriter _stderr = new();
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);
    private readonly CliContext _context;

    public CliHarness(Action<FakeClient>? configure = null)
    {
        var writer = new StreamWriter(_stdout, new UTF8Encoding(false), leaveOpen: true) { AutoFlush = true };
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 160;
        _context = new CliContext
        {
            Console = console,
            Out = writer,
            RawOut = _stdout,
            Error = _stderr,
            OpenStandardInput = () => new MemoryStream(Stdin),
            ClientFactory = settings =>
            {
                var client = new FakeClient(settings);
                configure?.Invoke(client);
                Clients.Add(client);
                return client;
            },
            GetEnvironmentVariable = name => _environment.GetValueOrDefault(name),
            HandleCtrlC = false,
        };
    }

    /// <summary>The context the commands run in.</summary>
    public CliContext Context => _context;

    /// <summary>What the command reads from stdin.</summary>
    public byte[] Stdin { get; set; } = [];

    /// <summary>The clients the commands made, in order.</summary>
    public List<FakeClient> Clients { get; } = [];

    /// <summary>The one client the last command made.</summary>
    public FakeClient Client => Assert.Single(Clients);

    public string Stdout => Encoding.UTF8.GetString(_stdout.ToArray());

    public byte[] StdoutBytes => _stdout.ToArray();

    public string Stderr => _stderr.ToString();

    public CliHarness WithEnvironment(string name, string value)
    {
        _environment[name] = value;
        return this;
    }

    public Task<int> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    public Task<int> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        var root = ClientCommands.CreateRoot(_context);
        return new CliRunner(root, _context).RunAsync(args, cancellationToken);
    }

    /// <summary>Stdout split into lines, without the trailing empty one.</summary>
    public string[] StdoutLines() => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}
