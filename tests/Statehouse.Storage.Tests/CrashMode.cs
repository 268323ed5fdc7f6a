namespace Statehouse.Storage.Tests;

/// <summary>What survives a simulated crash in <see cref="FaultyFileSystem.Restart"/>.</summary>
public enum CrashMode
{
    /// <summary>Process crash (kill -9): the page cache survives, so every completed write is kept.</summary>
    KeepUnsynced,

    /// <summary>Power loss: everything written or renamed after its last successful fsync is gone.</summary>
    LoseUnsynced,

    /// <summary>
    /// Power loss with out-of-order writeback: each 512-byte sector of each unsynced write independently
    /// survives or not (seeded); unsynced directory changes are gone.
    /// </summary>
    ReorderUnsynced,
}
