namespace Statehouse.Client;

/// <summary>One change delivered by a watch.</summary>
/// <param name="Type">What happened.</param>
/// <param name="Entry">The key after the change (for deletes: the key and the mod revision only).</param>
/// <param name="Previous">The key before the change, when <see cref="WatchOptions.PrevKv"/> was set.</param>
public sealed record WatchEvent(WatchEventType Type, KeyValueEntry Entry, KeyValueEntry? Previous)
{
    /// <summary>The revision of the change.</summary>
    public long Revision => Entry.ModRevision;
}
