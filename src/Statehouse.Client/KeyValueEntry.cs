using System.Text;

namespace Statehouse.Client;

/// <summary>A key with its value and MVCC metadata, as stored at some revision.</summary>
/// <param name="Key">The key's bytes.</param>
/// <param name="Value">The value's bytes (empty for keys-only reads and for delete events).</param>
/// <param name="CreateRevision">The revision that created the key (since its last deletion).</param>
/// <param name="ModRevision">The revision of the last change: the key's ETag.</param>
/// <param name="Version">How many times the key was written since it was created (1 after the first put).</param>
/// <param name="Lease">The lease the key is attached to, 0 for none.</param>
public sealed record KeyValueEntry(
    ReadOnlyMemory<byte> Key,
    ReadOnlyMemory<byte> Value,
    long CreateRevision,
    long ModRevision,
    long Version,
    long Lease)
{
    /// <summary>The key decoded as UTF-8.</summary>
    public string KeyAsString() => Encoding.UTF8.GetString(Key.Span);

    /// <summary>The value decoded as UTF-8.</summary>
    public string ValueAsString() => Encoding.UTF8.GetString(Value.Span);
}
