namespace Statehouse.Client;

/// <summary>What happened to a key.</summary>
public enum WatchEventType
{
    /// <summary>The key was created or updated.</summary>
    Put = 0,

    /// <summary>The key was deleted.</summary>
    Delete = 1,

    /// <summary>The key was deleted because its lease expired.</summary>
    Expire = 2,
}
