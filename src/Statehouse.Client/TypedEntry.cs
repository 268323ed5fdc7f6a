namespace Statehouse.Client;

/// <summary>A JSON value read with <see cref="StateClient.GetAsync{T}"/>, with the key's metadata.</summary>
/// <typeparam name="T">The value's type.</typeparam>
/// <param name="Key">The key.</param>
/// <param name="Value">The deserialized value (default when the stored JSON is <c>null</c>).</param>
/// <param name="CreateRevision">The revision that created the key.</param>
/// <param name="ModRevision">The revision of the last change: pass it to <see cref="Precondition.IfModRevision"/>.</param>
/// <param name="Version">How many times the key was written since it was created.</param>
/// <param name="Lease">The lease the key is attached to, 0 for none.</param>
public sealed record TypedEntry<T>(string Key, T Value, long CreateRevision, long ModRevision, long Version, long Lease);
