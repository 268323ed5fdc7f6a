using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Statehouse.Simulator.Core;

/// <summary>A broken assumption of the simulator itself (its model hosts, disk, network): a simulator bug, not a core bug.</summary>
internal sealed class SimulatorAssertException(string message) : Exception(message);

/// <summary>Assertions of the simulator's own model; a failure is reported apart from the core's invariants.</summary>
internal static class SimulatorAssert
{
    public static void That([DoesNotReturnIf(false)] bool condition, string message, [CallerArgumentExpression(nameof(condition))] string? expression = null)
    {
        if (!condition)
        {
            throw new SimulatorAssertException($"simulator assertion failed: {message} ({expression})");
        }
    }
}
