namespace Statehouse.Core.Model;

/// <summary>A precondition on a single-key mutation: the compare-and-set / ETag.</summary>
public enum PreconditionKind : byte
{
    None = 0,
    IfAbsent = 1,
    IfVersion = 2,
    IfModRevision = 3,
    IfExists = 4,
}

/// <summary>A precondition with its operand.</summary>
public readonly record struct Precondition(PreconditionKind Kind, long Value = 0)
{
    public static Precondition None => default;

    public static Precondition IfAbsent => new(PreconditionKind.IfAbsent);

    public static Precondition IfExists => new(PreconditionKind.IfExists);

    public static Precondition IfVersion(long version) => new(PreconditionKind.IfVersion, version);

    public static Precondition IfModRevision(long modRevision) => new(PreconditionKind.IfModRevision, modRevision);
}

/// <summary>Base of every replicated command. <see cref="RequestId"/> makes a retry apply once.</summary>
public abstract record Command
{
    /// <summary>Idempotency key; null when the caller gave none.</summary>
    public string? RequestId { get; init; }
}

/// <summary>Operations that may appear inside a transaction.</summary>
public abstract record TxnOperation : Command;

public sealed record PutCommand(string Keyspace, byte[] Key, byte[] Value) : TxnOperation
{
    public Precondition Precondition { get; init; }

    public long Lease { get; init; }

    /// <summary>When &gt; 0, the key gets a lease of its own with this TTL.</summary>
    public long TtlSeconds { get; init; }

    public bool ReturnPrevious { get; init; }
}

/// <summary>Deletes one key, every key with a prefix, or the range [Key, RangeEnd).</summary>
public sealed record DeleteCommand(string Keyspace, byte[] Key) : TxnOperation
{
    public byte[]? RangeEnd { get; init; }

    public bool Prefix { get; init; }

    public Precondition Precondition { get; init; }

    public bool ReturnPrevious { get; init; }
}

/// <summary>Adds <see cref="Delta"/> to an int64 counter stored as decimal UTF-8 text (absent = 0); overflow is an error.</summary>
public sealed record IncrementCommand(string Keyspace, byte[] Key, long Delta) : TxnOperation;

/// <summary>A read inside a transaction.</summary>
public sealed record GetOperation(string Keyspace, byte[] Key) : TxnOperation;

/// <summary>A range read inside a transaction.</summary>
public sealed record RangeOperation(string Keyspace, RangeQuery Query) : TxnOperation;

public enum CompareTarget : byte
{
    Value = 0,
    Version = 1,
    ModRevision = 2,
    CreateRevision = 3,
    Exists = 4,
    Lease = 5,
}

public enum CompareOp : byte
{
    Equal = 0,
    NotEqual = 1,
    Less = 2,
    Greater = 3,
}

/// <summary>One compare of a transaction's guard.</summary>
public sealed record Compare(string Keyspace, byte[] Key, CompareTarget Target, CompareOp Op, byte[]? Value = null, long Number = 0);

/// <summary>Atomically: if all compares hold, run Success ops, else Failure ops. A batch is a txn without compares.</summary>
public sealed record TxnCommand(IReadOnlyList<Compare> Compares, IReadOnlyList<TxnOperation> Success, IReadOnlyList<TxnOperation> Failure) : Command;

public sealed record LeaseGrantCommand(long LeaseId, long TtlSeconds) : Command;

public sealed record LeaseRevokeCommand(long LeaseId) : Command;

/// <summary>Issued by the leader for leases whose deadline passed by its clock. Deterministic: the ids travel in the log.</summary>
public sealed record LeaseExpireCommand(IReadOnlyList<long> LeaseIds) : Command;

/// <summary>Compacts history below <see cref="Revision"/>: reads and watches before it get Compacted.</summary>
public sealed record CompactCommand(long Revision) : Command;

public sealed record CreateKeyspaceCommand(KeyspaceConfig Config) : Command;

/// <summary>A range query: a prefix, or [Start, End).</summary>
public sealed record RangeQuery
{
    public byte[]? Prefix { get; init; }

    public byte[]? Start { get; init; }

    /// <summary>Exclusive; null = to the end of the keyspace.</summary>
    public byte[]? End { get; init; }

    /// <summary>0 = the default page size.</summary>
    public int Limit { get; init; }

    /// <summary>Return keys strictly after this one (continuation).</summary>
    public byte[]? After { get; init; }

    public bool KeysOnly { get; init; }

    public bool CountOnly { get; init; }

    /// <summary>0 = latest.</summary>
    public long Revision { get; init; }

    /// <summary>The effective [start, end) bounds.</summary>
    public (byte[]? Start, byte[]? End) Bounds()
    {
        if (Prefix is { Length: > 0 })
        {
            return (Prefix, Collections.ByteKeyComparer.PrefixEnd(Prefix));
        }

        return (Start is { Length: > 0 } ? Start : null, End is { Length: > 0 } ? End : null);
    }
}

/// <summary>One log entry's payload: commands batched by the leader, stamped with its clock.</summary>
public sealed record CommandBatch(long TimestampMs, IReadOnlyList<Command> Commands);
