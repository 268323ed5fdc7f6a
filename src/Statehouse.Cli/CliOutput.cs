using Spectre.Console;
using Spectre.Console.Rendering;

namespace Statehouse.Cli;

/// <summary>Where one command writes its results: text, tables, raw bytes, or one JSON document with <c>--json</c>.</summary>
internal sealed class CliOutput
{
    private readonly CliContext _context;

    public CliOutput(CliContext context, bool json)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        IsJson = json;
    }

    /// <summary>Whether the command writes JSON instead of text.</summary>
    public bool IsJson { get; }

    /// <summary>The console of tables and progress displays.</summary>
    public IAnsiConsole Console => _context.Console;

    /// <summary>Writes one JSON document on one line.</summary>
    public void Json<T>(T document) => _context.Out.WriteLine(CliJson.Serialize(document));

    /// <summary>Writes a line of text.</summary>
    public void Line(string text) => _context.Out.WriteLine(text);

    /// <summary>Writes <c>name  value</c> lines with the values aligned.</summary>
    public void Fields(params (string Name, string Value)[] fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var width = fields.Max(f => f.Name.Length);
        foreach (var (name, value) in fields)
        {
            Line(name.PadRight(width + 2) + value);
        }
    }

    /// <summary>Writes bytes exactly as they are, with nothing added.</summary>
    public void Raw(ReadOnlySpan<byte> bytes)
    {
        _context.Out.Flush();
        _context.RawOut.Write(bytes);
        _context.RawOut.Flush();
    }

    /// <summary>Writes a table or another Spectre renderable.</summary>
    public void Render(IRenderable renderable)
    {
        _context.Out.Flush();
        _context.Console.Write(renderable);
    }

    /// <summary>A table with the CLI's look: plain headers, a simple border that survives copy and paste.</summary>
    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column)));
        }

        return table;
    }

    /// <summary>Adds a row of plain text cells (no markup is interpreted).</summary>
    public static void AddRow(Table table, params string[] cells)
    {
        ArgumentNullException.ThrowIfNull(table);
        table.AddRow(cells.Select(c => (IRenderable)new Text(c)).ToArray());
    }
}
