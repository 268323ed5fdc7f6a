namespace Statehouse.Storage;

/// <summary>One entry of the write-ahead log: a Raft index and term and an opaque payload.</summary>
/// <param name="Index">Position in the log, starting at 1; consecutive records have consecutive indexes.</param>
/// <param name="Term">Raft term that produced the record; never decreases along the log.</param>
/// <param name="Payload">Opaque bytes (for Statehouse, one engine batch of client commands).</param>
public readonly record struct LogRecord(long Index, long Term, ReadOnlyMemory<byte> Payload);
