namespace Statehouse.Client;

/// <summary>
/// One causal session's token — the highest store revision the session has seen — flowing with the async context
/// (<see cref="StateClient.BeginSession"/>). Monotonic and thread-safe. Dispose it to end the scope: the flow goes back
/// to the session that was current before (sessions nest).
/// </summary>
public sealed class StatehouseSession : IDisposable
{
    private readonly StatehouseSession? _outer;
    private long _revision;
    private int _disposed;

    internal StatehouseSession(long revision, StatehouseSession? outer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        _revision = revision;
        _outer = outer;
    }

    /// <summary>The session token: reads at this revision or later observe everything the session has seen.</summary>
    public long Revision => Volatile.Read(ref _revision);

    /// <summary>The token this session started from.</summary>
    public long StartRevision { get; internal init; }

    /// <summary>Raises the token to <paramref name="revision"/> if it is higher.</summary>
    public void Observe(long revision) => Monotonic.Raise(ref _revision, revision);

    /// <summary>Ends the scope; the enclosing session (if any) is current again.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && SessionScope.Current == this)
        {
            SessionScope.Restore(_outer);
        }
    }
}

/// <summary>The session of the current async flow.</summary>
internal static class SessionScope
{
    private static readonly AsyncLocal<StatehouseSession?> Ambient = new();

    public static StatehouseSession? Current => Ambient.Value;

    public static StatehouseSession Begin(long revision)
    {
        var session = new StatehouseSession(revision, Ambient.Value) { StartRevision = revision };
        Ambient.Value = session;
        return session;
    }

    public static void Restore(StatehouseSession? outer) => Ambient.Value = outer;
}
