namespace Statehouse.Client;

/// <summary>How a <see cref="KeyRange"/> selects keys.</summary>
public enum KeyRangeKind
{
    /// <summary>Exactly one key.</summary>
    Single = 0,

    /// <summary>Every key that starts with <see cref="KeyRange.Key"/> (an empty prefix selects the whole keyspace).</summary>
    Prefix = 1,

    /// <summary>The keys in [<see cref="KeyRange.Key"/>, <see cref="KeyRange.End"/>).</summary>
    Between = 2,
}
