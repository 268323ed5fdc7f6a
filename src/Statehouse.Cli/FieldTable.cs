using Spectre.Console;

namespace Statehouse.Cli;

/// <summary>A two-column table of named fields, for status, snapshot and <c>get --meta</c>.</summary>
internal static class FieldTable
{
    public static Table Create(params (string Field, string Value)[] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var table = CliOutput.Table("FIELD", "VALUE");
        foreach (var (field, value) in rows)
        {
            CliOutput.AddRow(table, field, value);
        }

        return table;
    }
}
