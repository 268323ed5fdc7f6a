namespace Statehouse.Storage.Tests;

/// <summary>Thrown by <see cref="FaultyFileSystem"/> at the armed crash point and afterwards, until restart.</summary>
public sealed class SimulatedCrashException(string message) : IOException(message);
