namespace Statehouse.Core.Tests.Support;

/// <summary>
/// Iteration counts for property tests. The default run stays fast; STATEHOUSE_LONG_PROPERTIES=1 (or a number N)
/// multiplies every count by 20 (or N). A failing CsCheck run prints its seed; replay it with
/// <c>CsCheck_Seed=&lt;seed&gt; dotnet test tests/Statehouse.Core.Tests --filter &lt;TestName&gt;</c>.
/// </summary>
internal static class PropertyRuns
{
    public static long Multiplier { get; } = ReadMultiplier();

    /// <summary>The iteration count to use for a property whose default is <paramref name="defaultIterations"/>.</summary>
    public static long Iterations(long defaultIterations) => defaultIterations * Multiplier;

    /// <summary>The seed CsCheck should start from: CsCheck_Seed when set, else null (a fresh random seed).</summary>
    public static string? Seed => Environment.GetEnvironmentVariable("CsCheck_Seed") is { Length: > 0 } s ? s : null;

    private static long ReadMultiplier()
    {
        var raw = Environment.GetEnvironmentVariable("STATEHOUSE_LONG_PROPERTIES");
        if (string.IsNullOrEmpty(raw) || raw == "0")
        {
            return 1;
        }

        return long.TryParse(raw, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 1 ? n : 20;
    }
}
