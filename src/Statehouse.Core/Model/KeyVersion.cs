namespace Statehouse.Core.Model;

/// <summary>What a mutation did to a key.</summary>
public enum ChangeKind : byte
{
    Put = 0,
    Delete = 1,
    Expire = 2,
}

/// <summary>
/// One version of a key in the MVCC history: a node of a newest-first chain.
/// A delete or expiry is a tombstone (<see cref="Value"/> is null).
/// </summary>
/// <remarks>
/// Immutable except <see cref="Previous"/>, which only the compactor cuts, and only below the compaction
/// revision where no reader may go (readers at revision ≥ compact revision stop at or before the cut).
/// </remarks>
public sealed class KeyVersion
{
    internal KeyVersion(ChangeKind kind, byte[]? value, long createRevision, long modRevision, long version, long lease, KeyVersion? previous, int sequence = 0)
    {
        Invariant.Assert(sequence >= 0);
        Invariant.Assert(modRevision > 0);
        Invariant.Assert(kind == ChangeKind.Put ? value is not null : value is null);
        Kind = kind;
        Value = value;
        CreateRevision = createRevision;
        ModRevision = modRevision;
        Version = version;
        Lease = lease;
        Previous = previous;
        Sequence = sequence;
    }

    /// <summary>Position of this change among the changes of its revision (a transaction's writes share a revision), so replay after a restore keeps their order.</summary>
    public int Sequence { get; }

    /// <summary>Put, delete or expire.</summary>
    public ChangeKind Kind { get; }

    /// <summary>The value; null for a tombstone.</summary>
    public byte[]? Value { get; }

    /// <summary>Revision at which the key was created (0 for a tombstone).</summary>
    public long CreateRevision { get; }

    /// <summary>Revision of this change.</summary>
    public long ModRevision { get; }

    /// <summary>Number of puts since creation (0 for a tombstone).</summary>
    public long Version { get; }

    /// <summary>Attached lease id, 0 for none.</summary>
    public long Lease { get; }

    /// <summary>The version before this one, or null when compacted away or none.</summary>
    public KeyVersion? Previous { get; internal set; }

    /// <summary>True for a tombstone.</summary>
    public bool IsTombstone => Value is null;

    /// <summary>The newest version visible at <paramref name="revision"/>, or null.</summary>
    public KeyVersion? At(long revision)
    {
        var v = this;
        while (v is not null && v.ModRevision > revision)
        {
            v = v.Previous;
        }

        return v;
    }
}

/// <summary>A key and its metadata as answered to a reader.</summary>
public sealed record KeyValue(byte[] Key, byte[] Value, long CreateRevision, long ModRevision, long Version, long Lease)
{
    /// <summary>Builds the public view of a live version.</summary>
    public static KeyValue From(byte[] key, KeyVersion version)
    {
        Invariant.Assert(!version.IsTombstone);
        return new KeyValue(key, version.Value!, version.CreateRevision, version.ModRevision, version.Version, version.Lease);
    }
}
