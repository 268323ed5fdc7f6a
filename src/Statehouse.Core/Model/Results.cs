namespace Statehouse.Core.Model;

/// <summary>The outcome of applying one command. Expected failures are values, not exceptions.</summary>
public abstract record CommandResult
{
    /// <summary>The store revision after the command (the revision of its change when it changed something).</summary>
    public long Revision { get; init; }
}

/// <summary>An expected failure: precondition, quota, bad input found at apply time, compacted revision.</summary>
public sealed record ErrorResult(ErrorCode Code, string Message) : CommandResult
{
    /// <summary>For PreconditionFailed: the key's current mod revision (0 = absent).</summary>
    public long CurrentRevision { get; init; }

    /// <summary>For Compacted: the oldest revision still available.</summary>
    public long CompactRevision { get; init; }

    /// <summary>Turns the value into the boundary exception.</summary>
    public StatehouseException ToException() => new(Code, Message)
    {
        CurrentRevision = Code == ErrorCode.PreconditionFailed ? CurrentRevision : null,
        CompactRevision = Code == ErrorCode.Compacted ? CompactRevision : null,
    };
}

public sealed record PutResult(KeyValue? Previous, long Lease) : CommandResult;

public sealed record DeleteResult(long Deleted, IReadOnlyList<KeyValue> Previous) : CommandResult;

public sealed record IncrementResult(long Value) : CommandResult;

public sealed record GetResult(KeyValue? Kv) : CommandResult;

public sealed record RangeResult(IReadOnlyList<KeyValue> Kvs, long Count, bool More, byte[]? LastKey) : CommandResult;

public sealed record TxnResult(bool Succeeded, IReadOnlyList<CommandResult> Results) : CommandResult;

public sealed record LeaseGrantResult(long LeaseId, long TtlSeconds) : CommandResult;

public sealed record LeaseRevokeResult(long KeysDeleted) : CommandResult;

public sealed record LeaseExpireResult(IReadOnlyList<long> Expired, long KeysDeleted) : CommandResult;

public sealed record CompactResult(long CompactRevision) : CommandResult;

public sealed record CreateKeyspaceResult(KeyspaceConfig Config) : CommandResult;
