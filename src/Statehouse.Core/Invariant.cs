using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Statehouse.Core;

/// <summary>Thrown when a broken invariant means this node must stop rather than continue with corrupt state.</summary>
public sealed class InvariantViolationException(string message) : Exception(message);

/// <summary>Assertions that stay on in release builds: a broken invariant stops the node.</summary>
public static class Invariant
{
    /// <summary>Throws <see cref="InvariantViolationException"/> when <paramref name="condition"/> is false.</summary>
    public static void Assert([DoesNotReturnIf(false)] bool condition, [CallerArgumentExpression(nameof(condition))] string? expression = null)
    {
        if (!condition)
        {
            throw new InvariantViolationException($"Invariant violated: {expression}");
        }
    }
}
