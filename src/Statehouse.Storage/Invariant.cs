using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Statehouse.Storage;

/// <summary>
/// Assertions that document what must be true and stop the caller when it is not.
/// </summary>
/// <remarks>
/// A failed assertion is a bug in this project, never a property of the data on disk: data read from disk is
/// checked with typed exceptions (<see cref="StorageCorruptedException"/>) instead.
/// </remarks>
internal static class Invariant
{
    /// <summary>Throws <see cref="InvariantViolationException"/> when <paramref name="condition"/> is false.</summary>
    public static void Assert(
        [DoesNotReturnIf(false)] bool condition,
        [CallerArgumentExpression(nameof(condition))] string? expression = null)
    {
        if (!condition)
        {
            Fail(expression);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fail(string? expression) =>
        throw new InvariantViolationException($"Invariant violated: {expression}");
}
