using System.Buffers;
using Microsoft.Extensions.Logging;

namespace Statehouse.Storage.Groups;

/// <summary>
/// The write-ahead log every group of a node shares (docs/internals/host.md §1): one <see cref="WriteAheadLog"/> record
/// per batch of group operations (its index is the batch's LSN, its term is 0), one fdatasync per batch, and the
/// per-group view in memory (<see cref="State"/>).
/// </summary>
/// <remarks>Single writer: <see cref="Write"/>, <see cref="Rewrite"/> and <see cref="Reclaim"/> must not overlap.</remarks>
public sealed class GroupLog : IDisposable
{
    private readonly WriteAheadLog _wal;
    private readonly ArrayBufferWriter<byte> _buffer = new();

    private GroupLog(WriteAheadLog wal, GroupLogState state)
    {
        _wal = wal;
        State = state;
    }

    /// <summary>Every group's durable state, as of the last batch written or replayed.</summary>
    public GroupLogState State { get; }

    /// <summary>The LSN of the last batch (0: none).</summary>
    public long LastLsn => _wal.LastIndex;

    /// <summary>The LSN of the oldest batch still on disk.</summary>
    public long FirstLsn => _wal.FirstIndex;

    /// <summary>The segments on disk.</summary>
    public int SegmentCount => _wal.SegmentCount;

    /// <summary>The bytes on disk.</summary>
    public long SizeBytes => _wal.SizeBytes;

    /// <summary>What the WAL's recovery found and repaired at open.</summary>
    public RecoveryReport LastRecovery => _wal.LastRecovery;

    /// <summary>Opens the log in <see cref="WalOptions.Directory"/> and replays every batch into <see cref="State"/>.</summary>
    /// <exception cref="WalCorruptedException">A damaged segment (the WAL's own rules).</exception>
    /// <exception cref="GroupLogViolationException">A batch that does not decode or breaks a group's rules.</exception>
    public static GroupLog Open(WalOptions options, ILogger? logger = null)
    {
        var wal = WriteAheadLog.Open(options, logger);
        try
        {
            var state = new GroupLogState();
            state.BeginReplay(wal.FirstIndex);
            foreach (var record in wal.Read(wal.FirstIndex))
            {
                if (record.Term != 0)
                {
                    throw new GroupLogViolationException(record.Index, 0, $"record term {record.Term}: this is not a shared group log");
                }

                List<GroupOperation> operations;
                try
                {
                    operations = GroupLogFormat.Decode(record.Payload);
                }
                catch (FormatException exception)
                {
                    throw new GroupLogViolationException(record.Index, 0, "the batch does not decode: " + exception.Message);
                }

                state.Apply(record.Index, operations);
            }

            state.EndReplay();
            Invariant.Assert(state.LastLsn == wal.LastIndex);
            return new GroupLog(wal, state);
        }
        catch
        {
            wal.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes one batch and makes it durable (one fdatasync); <see cref="State"/> shows it on return. An empty batch
    /// writes nothing.
    /// </summary>
    /// <returns>The batch's LSN (the last one for an empty batch).</returns>
    /// <exception cref="GroupLogViolationException">The batch breaks a group's rules; nothing was written.</exception>
    /// <exception cref="ArgumentException">The batch breaks the format's rules or exceeds <see cref="WalOptions.MaxRecordBytes"/>.</exception>
    /// <exception cref="WalFailedException">An I/O failure, now or earlier; the log is poisoned.</exception>
    public long Write(IReadOnlyList<GroupOperation> operations)
    {
        var lsn = Persist(operations);
        if (operations.Count > 0)
        {
            Publish(lsn, operations);
        }

        return lsn;
    }

    /// <summary>
    /// The first half of <see cref="Write"/>, for a writer thread: checks the batch, writes it and makes it durable,
    /// and leaves <see cref="State"/> unchanged until <see cref="Publish"/> (which must follow before the next batch).
    /// Reading <see cref="State"/> meanwhile is safe: nothing changes it.
    /// </summary>
    /// <returns>The batch's LSN (the last one for an empty batch).</returns>
    public long Persist(IReadOnlyList<GroupOperation> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        if (operations.Count == 0)
        {
            return LastLsn;
        }

        Invariant.Assert(State.LastLsn == _wal.LastIndex, "the previous batch is published before the next is persisted");
        var lsn = _wal.LastIndex + 1;
        State.Validate(lsn, operations);
        _buffer.ResetWrittenCount();
        GroupLogFormat.Encode(operations, _buffer);

        // The WAL keeps no reference to the payload once Append returns, so one buffer serves every batch.
        _wal.Append([new LogRecord(lsn, 0, _buffer.WrittenMemory)]);
        return lsn;
    }

    /// <summary>The second half of <see cref="Write"/>: the durable batch <paramref name="lsn"/> shows in <see cref="State"/>.</summary>
    public void Publish(long lsn, IReadOnlyList<GroupOperation> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        Invariant.Assert(lsn == _wal.LastIndex && lsn == State.LastLsn + 1, "the batch published is the one persisted");
        State.ApplyValidated(lsn, operations);
    }

    /// <summary>
    /// Writes one batch that restates each of <paramref name="groups"/> (compaction point, retained entries, hard
    /// state), so nothing older pins them: how an idle group stops holding the oldest segment.
    /// </summary>
    /// <returns>The batch's LSN.</returns>
    public long Rewrite(IEnumerable<ulong> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var operations = new List<GroupOperation>();
        foreach (var id in groups)
        {
            Restate(id, operations);
        }

        return Write(operations);
    }

    /// <summary>
    /// Adds the operations that restate a group as the log holds it (creation, compaction point, retained entries,
    /// hard state): written before a batch's own operations, they move the group's pin to that batch.
    /// </summary>
    public void Restate(ulong id, List<GroupOperation> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var group = State.Find(id) ?? throw new ArgumentException($"The log holds nothing for group {id}.", nameof(id));
        if (group.CreateLsn > 0)
        {
            operations.Add(new CreateGroupOperation(id, group.Member, group.Bootstrap));
        }

        if (group.CompactIndex > 0)
        {
            operations.Add(new CompactOperation(id, group.CompactIndex, group.CompactTerm));
        }

        if (group.EntryCount > 0)
        {
            var entries = new List<GroupEntry>(group.EntryCount);
            group.GetEntries(group.FirstIndex, group.LastIndex + 1, long.MaxValue, entries);
            operations.Add(new AppendEntriesOperation(id, entries.ToArray()));
        }

        if (group.HardStateLsn > 0)
        {
            operations.Add(new HardStateOperation(id, group.Term, group.Vote, group.Commit));
        }
    }

    /// <summary>The first LSN after the oldest segment (the next LSN when there is one segment): pins below it hold that segment.</summary>
    public long OldestSegmentEnd => _wal.SegmentCount > 1 ? _wal.FirstIndexOfSegment(1) : _wal.LastIndex + 1;

    /// <summary>The groups whose pin lies below <paramref name="lsn"/>, smallest retained log first: candidates for <see cref="Rewrite"/>.</summary>
    public List<StoredGroup> GroupsPinnedBelow(long lsn) =>
        State.Groups.Where(g => g.Pin < lsn).OrderBy(g => g.RetainedBytes).ToList();

    /// <summary>Deletes the segments every group is done with (all their batches lie below every group's pin).</summary>
    /// <returns>How many segments were deleted.</returns>
    public int Reclaim()
    {
        var before = _wal.SegmentCount;
        var pin = State.MinimumPin();
        _wal.TruncatePrefix(Math.Min(pin, _wal.LastIndex + 1) - 1);
        Invariant.Assert(_wal.FirstIndex <= Math.Min(pin, _wal.LastIndex + 1));
        return before - _wal.SegmentCount;
    }

    /// <inheritdoc />
    public void Dispose() => _wal.Dispose();
}
