namespace Statehouse.Client;

/// <summary>The outcome of <see cref="StateClient.UpdateAsync{T}"/>.</summary>
/// <typeparam name="T">The value's type.</typeparam>
/// <param name="Value">The value that was written.</param>
/// <param name="Revision">The revision of the write: the key's new mod revision.</param>
/// <param name="Attempts">How many read-modify-write rounds it took (1 when there was no conflict).</param>
public sealed record UpdateResult<T>(T Value, long Revision, int Attempts);
