using Statehouse.Raft;

namespace Statehouse.Simulator.Disk;

/// <summary>
/// A log entry as the model disk stores it, with the hash chain of the log up to it: Chain(i) = H(Chain(i−1), entry i).
/// Two logs with the same chain at an index have the same prefix there (the log-matching check compares chains).
/// </summary>
internal readonly record struct StoredEntry(Entry Entry, ulong Hash, ulong Chain);
