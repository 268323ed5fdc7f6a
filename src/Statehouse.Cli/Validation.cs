using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Statehouse.Cli;

/// <summary>Parse-time checks, so that bad input fails with exit code 2 before any call is made.</summary>
internal static class Validation
{
    /// <summary>The option, when given, must be at least <paramref name="minimum"/>.</summary>
    public static Option<long?> AtLeast(this Option<long?> option, long minimum)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (TryGetLong(result) is { } value && value < minimum)
            {
                result.AddError(TooSmall(option.Name, minimum));
            }
        });
        return option;
    }

    /// <summary>The option, when given, must be at least <paramref name="minimum"/>.</summary>
    public static Option<int?> AtLeast(this Option<int?> option, int minimum)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (TryGetLong(result) is { } value && value < minimum)
            {
                result.AddError(TooSmall(option.Name, minimum));
            }
        });
        return option;
    }

    /// <summary>The argument, when given, must be at least <paramref name="minimum"/>.</summary>
    public static Argument<long> AtLeast(this Argument<long> argument, long minimum)
    {
        ArgumentNullException.ThrowIfNull(argument);
        argument.Validators.Add(result =>
        {
            if (TryGetLong(result) is { } value && value < minimum)
            {
                result.AddError(TooSmall(argument.Name, minimum));
            }
        });
        return argument;
    }

    /// <summary>The argument, when given, must not be empty.</summary>
    public static Argument<string> NotEmpty(this Argument<string> argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        argument.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && string.IsNullOrEmpty(result.GetValueOrDefault<string>()))
            {
                result.AddError($"{argument.Name} must not be empty.");
            }
        });
        return argument;
    }

    /// <summary>Whether an option was given on the command line (as opposed to absent or defaulted).</summary>
    public static bool Given(this CommandResult result, Option option)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.GetResult(option) is { Implicit: false };
    }

    /// <summary>Whether an argument received a value on the command line.</summary>
    public static bool Given(this CommandResult result, Argument argument)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.GetResult(argument) is { Tokens.Count: > 0 };
    }

    /// <summary>Adds an error unless at most one of the options and arguments was given.</summary>
    public static void AtMostOne(CommandResult result, params Symbol[] symbols)
    {
        ArgumentNullException.ThrowIfNull(result);
        var given = symbols.Where(s => s switch
        {
            Option o => result.Given(o),
            Argument a => result.Given(a),
            _ => false,
        }).ToArray();
        if (given.Length > 1)
        {
            result.AddError($"{string.Join(", ", given.Select(s => s.Name))} cannot be used together.");
        }
    }

    /// <summary>
    /// The number the single token of an option or argument holds, or <see langword="null"/> when there is none or it
    /// does not parse: the conversion error is reported by the parser, and asking the result for its value would throw.
    /// </summary>
    private static long? TryGetLong(SymbolResult result) =>
        result.Tokens.Count == 1 && long.TryParse(result.Tokens[0].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    private static string TooSmall(string name, long minimum) =>
        string.Create(CultureInfo.InvariantCulture, $"{name} must be at least {minimum}.");
}
