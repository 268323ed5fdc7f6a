namespace Statehouse.Core;

/// <summary>A keyspace's configuration. Zero limits mean "the node default".</summary>
public sealed record KeyspaceConfig(string Name, int MaxKeyBytes = 0, int MaxValueBytes = 0, long MaxKeys = 0)
{
    /// <summary>The keyspace that always exists.</summary>
    public const string DefaultName = "default";

    /// <summary>Key size limit in force, given the node limits.</summary>
    public int EffectiveMaxKeyBytes(StoreLimits limits) => MaxKeyBytes > 0 ? Math.Min(MaxKeyBytes, limits.MaxKeyBytes) : limits.MaxKeyBytes;

    /// <summary>Value size limit in force, given the node limits.</summary>
    public int EffectiveMaxValueBytes(StoreLimits limits) => MaxValueBytes > 0 ? Math.Min(MaxValueBytes, limits.MaxValueBytes) : limits.MaxValueBytes;

    /// <summary>Checks a keyspace name: 1..max chars of [A-Za-z0-9_.-].</summary>
    public static bool IsValidName(string? name, int maxLength)
    {
        if (string.IsNullOrEmpty(name) || name.Length > maxLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
