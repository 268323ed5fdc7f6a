using Microsoft.Extensions.Logging;
using Statehouse.Raft;
using Statehouse.Storage;
using Statehouse.Storage.Groups;

namespace Statehouse.Replication;

/// <summary>Where and how a <see cref="FileReplicaStore"/> keeps a node's groups; every size is explicit.</summary>
public sealed class FileReplicaStoreOptions
{
    /// <summary>The store's folder: <c>log/</c> (the shared log) and <c>groups/{id}/snapshots/</c>.</summary>
    public required string Directory { get; init; }

    /// <summary>Where files live (tests pass a fault-injecting one).</summary>
    public IStorageFileSystem FileSystem { get; init; } = PhysicalFileSystem.Instance;

    /// <summary>Size of a shared-log segment.</summary>
    public long SegmentSizeBytes { get; init; } = 64L << 20;

    /// <summary>Largest batch (one record of the shared log).</summary>
    public int MaxBatchBytes { get; init; } = 64 << 20;

    /// <summary>Whether segments are preallocated.</summary>
    public bool PreallocateSegments { get; init; } = true;

    /// <summary>Largest snapshot accepted (taken or received).</summary>
    public long MaxSnapshotBytes { get; init; } = 64L << 30;

    /// <summary>Write buffer of a snapshot file.</summary>
    public int SnapshotBufferBytes { get; init; } = 256 << 10;

    /// <summary>Once the shared log has this many segments, batches restate the groups that pin its oldest one.</summary>
    public int RewriteAtSegments { get; init; } = 3;

    /// <summary>A group is restated only while its retained log is this small (a larger one waits for its snapshot).</summary>
    public long RewriteMaxRetainedBytes { get; init; } = 4L << 20;

    /// <summary>Restated bytes one batch may carry.</summary>
    public long RewriteMaxBytesPerBatch { get; init; } = 8L << 20;
}

/// <summary>
/// The node's durable replica store on files (docs/internals/host.md §1): one shared log (<see cref="GroupLog"/>)
/// whose records are the host's batches — a group's creation included, so a group exists exactly when the log says
/// so — and per group a <see cref="GroupSnapshotDirectory"/>. Writes are queued by <see cref="Persist"/> and done by
/// <see cref="MakeNextDurable"/> (a writer thread in production), reported by <see cref="Report"/> on the host's
/// thread; snapshots likewise (<see cref="SaveNextSnapshot"/>, then <see cref="ReplicaHost.OnSnapshotSaved"/>).
/// </summary>
/// <remarks>
/// Received snapshot data is written straight into the snapshot file it will become (a temporary file, not synced):
/// a crash deletes it, and a restarted member starts the transfer again (its acknowledgements were for a core that no
/// longer exists). An install commits that file (synced, renamed) before the batch's record, which holds its Compact.
/// At open, the snapshot at each group's compaction point must exist and verify; files beyond it were never in force
/// (saved, but the Compact record was lost with a crash) and are deleted, as are those below it.
/// </remarks>
public sealed class FileReplicaStore : IReplicaStore, IDisposable
{
    private readonly FileReplicaStoreOptions _options;
    private readonly GroupLog _log;
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, GroupFiles> _files = [];
    private readonly List<GroupDescriptor> _groups = [];
    private readonly Queue<(PersistBatch Batch, List<GroupOperation> Record)> _persisting = new();
    private readonly Queue<SnapshotRequest> _saving = new();
    private (PersistBatch Batch, List<GroupOperation> Record, long Lsn)? _durableUnreported;

    private FileReplicaStore(FileReplicaStoreOptions options, GroupLog log)
    {
        _options = options;
        _log = log;
    }

    /// <inheritdoc />
    public GroupLogState Log => _log.State;

    /// <inheritdoc />
    public IReadOnlyList<GroupDescriptor> Groups => _groups;

    /// <summary>The shared log (segments, size, recovery report).</summary>
    public GroupLog SharedLog => _log;

    /// <summary>Batches queued and not yet durable.</summary>
    public int PendingBatches
    {
        get
        {
            lock (_gate)
            {
                return _persisting.Count;
            }
        }
    }

    /// <summary>Opens the store, replays the shared log and checks every group's snapshot in force.</summary>
    /// <exception cref="ReplicaStoreCorruptedException">A group without its Create record, or without the snapshot its compaction point needs.</exception>
    public static FileReplicaStore Open(FileReplicaStoreOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var fileSystem = options.FileSystem;
        fileSystem.CreateDirectory(options.Directory);
        var log = GroupLog.Open(new WalOptions
        {
            Directory = Path.Combine(options.Directory, "log"),
            FileSystem = fileSystem,
            SegmentSizeBytes = options.SegmentSizeBytes,
            MaxRecordBytes = options.MaxBatchBytes,
            PreallocateSegments = options.PreallocateSegments,
        }, logger);
        var store = new FileReplicaStore(options, log);
        try
        {
            store.Recover();
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public IGroupSnapshots Snapshots(GroupId group)
    {
        lock (_gate)
        {
            return FilesOf(group.Value);
        }
    }

    /// <inheritdoc />
    public void Persist(PersistBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);

        // The groups created go first in the record: a group exists from the batch that creates it.
        var record = new List<GroupOperation>(batch.Created.Count + batch.Operations.Count);
        foreach (var created in batch.Created)
        {
            record.Add(new CreateGroupOperation(created.Group.Value, created.Member.Value, created.Bootstrap.Encode()));
        }

        Restate(record, batch);
        record.AddRange(batch.Operations);
        lock (_gate)
        {
            Invariant.Assert(_persisting.Count == 0 && _durableUnreported is null, "one batch in flight at a time");
            _persisting.Enqueue((batch, record));
        }
    }

    /// <summary>
    /// Does the oldest queued batch's I/O, in order: received snapshot data, installs (each file synced and renamed),
    /// then the record (one fdatasync). Runs on the writer thread; the host hears of it through <see cref="Report"/>.
    /// </summary>
    /// <returns>False when nothing is queued.</returns>
    /// <exception cref="InvalidDataException">A received snapshot does not match its checksum (nothing of the record was written).</exception>
    /// <exception cref="GroupLogViolationException">The record breaks a group's rules (nothing of it was written).</exception>
    public bool MakeNextDurable()
    {
        (PersistBatch Batch, List<GroupOperation> Record) next;
        lock (_gate)
        {
            if (!_persisting.TryDequeue(out next))
            {
                return false;
            }
        }

        var (batch, record) = next;
        foreach (var (group, chunk) in batch.Chunks)
        {
            FilesOf(group.Value).Stage(chunk);
        }

        foreach (var (group, snapshot) in batch.Installs)
        {
            FilesOf(group.Value).Install(snapshot);
        }

        var lsn = _log.Persist(record);

        // Segments every group is done with go (by the published view: conservative, this record's pins move later).
        if (_log.SegmentCount > 1)
        {
            _log.Reclaim();
        }

        lock (_gate)
        {
            _durableUnreported = (batch, record, lsn);
        }

        return true;
    }

    /// <summary>Tells <paramref name="host"/> that the batch <see cref="MakeNextDurable"/> wrote is durable (host thread).</summary>
    public void Report(ReplicaHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        PersistBatch? batch;
        lock (_gate)
        {
            batch = _durableUnreported?.Batch;
        }

        if (batch is not null)
        {
            host.OnPersisted(batch.Id);
        }
    }

    /// <summary>Both halves at once (tests, and runtimes without a writer thread).</summary>
    public bool CompletePersist(ReplicaHost host)
    {
        if (!MakeNextDurable())
        {
            return false;
        }

        Report(host);
        return true;
    }

    /// <inheritdoc />
    public void Publish(PersistBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        (PersistBatch Batch, List<GroupOperation> Record, long Lsn) durable;
        lock (_gate)
        {
            Invariant.Assert(_durableUnreported is { } d && d.Batch == batch, "the batch published is the one made durable");
            durable = _durableUnreported!.Value;
            _durableUnreported = null;
        }

        if (durable.Record.Count > 0)
        {
            _log.Publish(durable.Lsn, durable.Record);
        }

        lock (_gate)
        {
            _groups.AddRange(batch.Created);
        }

        foreach (var operation in durable.Record)
        {
            switch (operation)
            {
                case RemoveGroupOperation removed:
                    lock (_gate)
                    {
                        _groups.RemoveAll(d => d.Group.Value == removed.Group && !batch.Created.Contains(d));
                        if (_files.Remove(removed.Group, out var files))
                        {
                            files.DeleteAll();
                        }
                    }

                    break;
                case CompactOperation compact:
                    FilesOf(compact.Group).CompactedTo(compact.Index, compact.Term);
                    break;
            }
        }
    }

    /// <inheritdoc />
    public void SaveSnapshot(SnapshotRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            _saving.Enqueue(request);
        }
    }

    /// <summary>Writes the oldest snapshot asked for (a snapshot thread in production); null when none is queued.</summary>
    /// <returns>The request and what was written, or the request with a null snapshot when its member left meanwhile.</returns>
    public (SnapshotRequest Request, SnapshotMeta? Snapshot)? SaveNextSnapshot()
    {
        SnapshotRequest? request;
        GroupFiles? files;
        lock (_gate)
        {
            if (!_saving.TryDequeue(out request))
            {
                return null;
            }

            files = _files.GetValueOrDefault(request.Group.Value);

            // A member that left the node meanwhile (or was replaced by a new member of the group) gets nothing.
            if (!_groups.Any(d => d.Group == request.Group && d.Member == request.Member))
            {
                files = null;
            }
        }

        return (request, files?.Save(request));
    }

    /// <summary>Writes the oldest snapshot asked for and tells <paramref name="host"/>; false when none is queued.</summary>
    public bool CompleteSnapshot(ReplicaHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (SaveNextSnapshot() is not { } saved)
        {
            return false;
        }

        if (saved.Snapshot is { } snapshot)
        {
            host.OnSnapshotSaved(saved.Request, snapshot);
        }

        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var files in _files.Values)
            {
                files.Dispose();
            }

            _files.Clear();
        }

        _log.Dispose();
    }

    /// <summary>
    /// When the shared log has grown to <see cref="FileReplicaStoreOptions.RewriteAtSegments"/> segments, restates the
    /// small groups that pin its oldest segment at the head of this record, so that segment can go (docs/internals/host.md §1).
    /// </summary>
    private void Restate(List<GroupOperation> record, PersistBatch batch)
    {
        if (_log.SegmentCount < _options.RewriteAtSegments)
        {
            return;
        }

        long bytes = 0;
        foreach (var group in _log.GroupsPinnedBelow(_log.OldestSegmentEnd))
        {
            if (group.RetainedBytes > _options.RewriteMaxRetainedBytes || bytes + group.RetainedBytes > _options.RewriteMaxBytesPerBatch
                || batch.Created.Any(d => d.Group.Value == group.Id))
            {
                continue;
            }

            _log.Restate(group.Id, record);
            bytes += group.RetainedBytes;
        }
    }

    private void Recover()
    {
        foreach (var stored in _log.State.Groups.OrderBy(g => g.CreateLsn))
        {
            if (stored.CreateLsn == 0)
            {
                throw new ReplicaStoreCorruptedException($"Group g{stored.Id} has records in the shared log but no Create record.");
            }

            var descriptor = new GroupDescriptor(new GroupId(stored.Id), new NodeId(stored.Member), Configuration.Decode(stored.Bootstrap.Span));
            _groups.Add(descriptor);
            var files = FilesOf(stored.Id);
            files.Recover(stored);
        }
    }

    private GroupFiles FilesOf(ulong group)
    {
        lock (_gate)
        {
            if (!_files.TryGetValue(group, out var files))
            {
                var directory = GroupSnapshotDirectory.Open(_options.FileSystem, Path.Combine(_options.Directory, "groups", group.ToString(System.Globalization.CultureInfo.InvariantCulture), "snapshots"),
                    _options.MaxSnapshotBytes, _options.SnapshotBufferBytes);
                files = new GroupFiles(group, directory);
                _files.Add(group, files);
            }

            return files;
        }
    }

    /// <summary>One group's snapshot files as the host sees them (<see cref="IGroupSnapshots"/>), and its staging.</summary>
    private sealed class GroupFiles(ulong group, GroupSnapshotDirectory directory) : IGroupSnapshots, IDisposable
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<ulong, SnapshotMeta> _metas = [];
        // Writer null: this node already holds that snapshot (same index and term: the same state), so the chunks
        // are only counted and the install checks the checksum of the file it has.
        private (SnapshotMeta Meta, GroupSnapshotWriter? Writer, long Bytes)? _staging;

        public void Recover(StoredGroup stored)
        {
            foreach (var (index, term) in directory.Snapshots)
            {
                if ((ulong)index != stored.CompactIndex || (ulong)term != stored.CompactTerm)
                {
                    directory.Delete(index, term);
                }
            }

            if (stored.CompactIndex == 0)
            {
                return;
            }

            var (compactIndex, compactTerm) = ((long)stored.CompactIndex, (long)stored.CompactTerm);
            if (directory.Verify(compactIndex, compactTerm, out var problem) is not { } info)
            {
                throw new ReplicaStoreCorruptedException(
                    $"Group g{group} is compacted through {stored.CompactIndex}/{stored.CompactTerm}, but its snapshot there is {problem} ({directory.DirectoryPath}).");
            }

            using var body = directory.OpenBody(compactIndex, compactTerm);
            var configuration = GroupSnapshotBody.ReadPrefix(body);
            Remember(new SnapshotMeta(new LogIndex(stored.CompactIndex), new Term(stored.CompactTerm), configuration, info.BodyBytes, info.Checksum));
        }

        public SnapshotMeta? At(LogIndex index)
        {
            lock (_gate)
            {
                return _metas.GetValueOrDefault(index.Value);
            }
        }

        public bool TryRead(SnapshotMeta snapshot, long offset, int maxBytes, out ReadOnlyMemory<byte> chunk)
        {
            if (!snapshot.SameSnapshot(At(snapshot.Index)) || offset < 0 || offset > snapshot.SizeBytes)
            {
                chunk = default;
                return false;
            }

            var buffer = new byte[(int)Math.Min(maxBytes, snapshot.SizeBytes - offset)];
            var read = directory.ReadBody((long)snapshot.Index.Value, (long)snapshot.Term.Value, offset, buffer);
            if (read != buffer.Length)
            {
                chunk = default;
                return false;
            }

            chunk = buffer;
            return true;
        }

        public Stream OpenRead(SnapshotMeta snapshot)
        {
            var stream = directory.OpenBody((long)snapshot.Index.Value, (long)snapshot.Term.Value);
            GroupSnapshotBody.ReadPrefix(stream);
            return stream;
        }

        /// <summary>Appends received data to the staging file (offset 0 starts a new one).</summary>
        public void Stage(SnapshotChunk chunk)
        {
            lock (_gate)
            {
                if (chunk.Offset == 0 || _staging is not { } staging || !staging.Meta.SameSnapshot(chunk.Snapshot))
                {
                    _staging?.Writer?.Dispose();
                    _staging = null;
                    var meta = chunk.Snapshot;
                    var held = directory.Contains((long)meta.Index.Value, (long)meta.Term.Value);
                    staging = (meta, held ? null : directory.BeginWrite((long)meta.Index.Value, (long)meta.Term.Value), 0);
                }

                if (chunk.Offset != staging.Bytes)
                {
                    throw new InvalidOperationException($"Group g{group}: a chunk at {chunk.Offset} of {chunk.Snapshot} does not continue its staging area ({staging.Bytes} bytes).");
                }

                staging.Writer?.Write(chunk.Data.Span);
                _staging = staging with { Bytes = staging.Bytes + chunk.Data.Length };
            }
        }

        /// <summary>Commits the staged file as the snapshot <paramref name="snapshot"/>, once it matches its checksum.</summary>
        /// <remarks>The commit's fsyncs run outside the lock: the host's thread reads <see cref="At"/> meanwhile.</remarks>
        public void Install(SnapshotMeta snapshot)
        {
            (SnapshotMeta Meta, GroupSnapshotWriter? Writer, long Bytes) staging;
            lock (_gate)
            {
                if (_staging is not { } staged || !staged.Meta.SameSnapshot(snapshot))
                {
                    throw new InvalidOperationException($"Group g{group} has no staged data for {snapshot}.");
                }

                staging = staged;
                _staging = null;
            }

            if (staging.Bytes != snapshot.SizeBytes)
            {
                staging.Writer?.Dispose();
                throw new InvalidDataException($"Group g{group} received {staging.Bytes} bytes for {snapshot}.");
            }

            var info = staging.Writer is { } writer
                ? writer.Commit()
                : directory.Verify((long)snapshot.Index.Value, (long)snapshot.Term.Value, out var problem)
                    ?? throw new InvalidDataException($"Group g{group} holds {snapshot} already, but the file is {problem}.");
            if (info.Checksum != snapshot.Checksum || info.BodyBytes != snapshot.SizeBytes)
            {
                if (staging.Writer is not null)
                {
                    directory.Delete(info.Index, info.Term);
                }

                throw new InvalidDataException($"Group g{group} received {snapshot} whose checksum does not match.");
            }

            Remember(snapshot);
        }

        /// <summary>Writes a snapshot the host took.</summary>
        public SnapshotMeta Save(SnapshotRequest request)
        {
            var (index, term) = ((long)request.Index.Value, (long)request.Term.Value);
            if (At(request.Index) is { } held && held.Term == request.Term)
            {
                // This node has that snapshot already (the same index and term is the same state): a committed file is
                // never deleted to be written again, it may be in force or being sent.
                return held;
            }

            if (directory.Contains(index, term))
            {
                // A file this store never took as a snapshot of its own (a leftover): not in force, replaced.
                directory.Delete(index, term);
            }

            using var writer = directory.BeginWrite(index, term);
            var body = writer.Body;
            GroupSnapshotBody.WritePrefix(body, request.Configuration);
            request.Capture.WriteTo(body);
            var info = writer.Commit();
            var meta = new SnapshotMeta(request.Index, request.Term, request.Configuration, info.BodyBytes, info.Checksum);
            Remember(meta);
            return meta;
        }

        /// <summary>The compaction point moved: older snapshots are no longer needed.</summary>
        public void CompactedTo(ulong index, ulong term)
        {
            foreach (var (fileIndex, fileTerm) in directory.Snapshots)
            {
                if ((ulong)fileIndex < index)
                {
                    directory.Delete(fileIndex, fileTerm);
                    lock (_gate)
                    {
                        _metas.Remove((ulong)fileIndex);
                    }
                }
            }

            Invariant.Assert(At(new LogIndex(index)) is { } inForce && inForce.Term.Value == term, "the snapshot at the compaction point is known");
        }

        public void DeleteAll()
        {
            lock (_gate)
            {
                _staging?.Writer?.Dispose();
                _staging = null;
                _metas.Clear();
            }

            directory.DeleteAll();
            directory.Dispose();
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _staging?.Writer?.Dispose();
                _staging = null;
            }

            directory.Dispose();
        }

        private void Remember(SnapshotMeta meta)
        {
            lock (_gate)
            {
                _metas[meta.Index.Value] = meta;
            }
        }
    }
}
