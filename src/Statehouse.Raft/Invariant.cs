using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Statehouse.Raft;

/// <summary>A broken invariant of the core: a bug or a host that broke its contract. The group must stop.</summary>
public sealed class RaftInvariantException(string message) : Exception(message);

/// <summary>Assertions that stay on in Release: a replicated store must stop rather than go on with a broken log.</summary>
internal static class Invariant
{
    public static void Assert([DoesNotReturnIf(false)] bool condition, [CallerArgumentExpression(nameof(condition))] string? expression = null)
    {
        if (!condition)
        {
            throw new RaftInvariantException($"Raft invariant broken: {expression}");
        }
    }

    public static void Assert([DoesNotReturnIf(false)] bool condition, string message, [CallerArgumentExpression(nameof(condition))] string? expression = null)
    {
        if (!condition)
        {
            throw new RaftInvariantException($"Raft invariant broken: {message} ({expression})");
        }
    }
}
