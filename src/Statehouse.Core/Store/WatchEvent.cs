using Statehouse.Core.Model;

namespace Statehouse.Core.Store;

/// <summary>One change to one key, as watchers receive it.</summary>
public sealed record WatchEvent(string Keyspace, byte[] Key, KeyVersion Current, KeyVersion? Previous)
{
    /// <summary>The change's revision.</summary>
    public long Revision => Current.ModRevision;

    /// <summary>Put, delete or expire.</summary>
    public ChangeKind Kind => Current.Kind;

    /// <summary>The previous live value, when there was one.</summary>
    public KeyValue? PreviousKv => Previous is { IsTombstone: false } p ? KeyValue.From(Key, p) : null;
}
