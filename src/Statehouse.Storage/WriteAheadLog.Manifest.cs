namespace Statehouse.Storage;

/// <summary>
/// Keeping <c>wal.manifest</c> true: the first index, the high-water index and the newest segment the log must
/// hold. Values are raised only after they are durable in the segments and lowered (synchronously) before a
/// mutation removes records, so at any crash the manifest claims no more than the files hold.
/// </summary>
/// <remarks>
/// Threading: the owner thread lowers values and writes synchronously under <see cref="_manifestLock"/>; appends
/// only publish the new durable index (<see cref="_durableIndex"/>) and arm a one-shot timer, whose callback writes
/// the manifest on a pool thread under the same lock, at most every
/// <see cref="WalOptions.HighWaterCheckpointIntervalMs"/>. A failed manifest write poisons the log.
/// </remarks>
public sealed partial class WriteAheadLog
{
    /// <summary>Name of the manifest file in the WAL directory (format in docs/internals/storage.md).</summary>
    public const string ManifestFileName = WalManifest.FileName;

    /// <summary>Suffix given to segments an accepted data loss set aside (kept as evidence, never read again).</summary>
    public const string LostSuffix = ".lost";

    private readonly Lock _manifestLock = new();
    private WalManifest? _manifest;
    private Timer? _checkpointTimer;
    private int _checkpointArmed;
    private bool _manifestClosed;
    private bool _acceptedLoss;

    // What the next manifest write records. Written by the owner; read under _manifestLock by the checkpoint.
    private long _durableIndex;
    private long _manifestFirstIndex;
    private long _newestSegmentFirstIndex;

    /// <summary>The high-water index the manifest holds now: recovery refuses a log that ends below it.</summary>
    public long RecordedHighWaterIndex
    {
        get
        {
            lock (_manifestLock)
            {
                return _manifest?.Current.HighWaterIndex ?? 0;
            }
        }
    }

    /// <summary>Records the current durable state in the manifest now (the background checkpoint does it on its own).</summary>
    /// <exception cref="WalFailedException">An I/O failure, now or earlier; the log is poisoned.</exception>
    public void Checkpoint()
    {
        ThrowIfUnusable();
        try
        {
            WriteCheckpoint(cleanShutdown: false);
        }
        catch (Exception exception)
        {
            throw Poison(nameof(Checkpoint), exception);
        }
    }

    private void OpenManifest(string manifestPath, WalManifestState? recorded)
    {
        _durableIndex = LastIndex;
        _manifestFirstIndex = FirstIndex;
        _newestSegmentFirstIndex = _segments[^1].FirstIndex;
        var state = new WalManifestState(0, _manifestFirstIndex, _durableIndex, _newestSegmentFirstIndex, CleanShutdown: false);
        bool sync = _options.SyncMode == WalSyncMode.FDataSync;
        if (recorded is { } current)
        {
            _manifest = WalManifest.OpenExisting(_fileSystem, manifestPath, current, sync);
            _manifest.Write(state);
        }
        else
        {
            _manifest = WalManifest.Create(_fileSystem, _directory, state, sync);
        }

        if (_options.HighWaterCheckpointIntervalMs > 0)
        {
            _checkpointTimer = new Timer(static state => ((WriteAheadLog)state!).OnCheckpointTimer(), this, Timeout.Infinite, Timeout.Infinite);
        }

        Invariant.Assert(_manifest.Current.HighWaterIndex == LastIndex);
        Invariant.Assert(_manifest.Current.FirstIndex == FirstIndex);
    }

    /// <summary>After an append became durable: publish its end and get it into the manifest soon (or now).</summary>
    private void OnAppended(bool createdSegment)
    {
        Volatile.Write(ref _durableIndex, LastIndex);
        if (createdSegment)
        {
            Volatile.Write(ref _newestSegmentFirstIndex, _segments[^1].FirstIndex);
        }

        if (_checkpointTimer is null)
        {
            WriteCheckpoint(cleanShutdown: false);
        }
        else if (Interlocked.CompareExchange(ref _checkpointArmed, 1, 0) == 0)
        {
            _checkpointTimer.Change(_options.HighWaterCheckpointIntervalMs, Timeout.Infinite);
        }
    }

    private void OnCheckpointTimer()
    {
        // Disarm first: an append after this point arms again, so its index is never left unrecorded.
        Volatile.Write(ref _checkpointArmed, 0);
        if (_failure is not null)
        {
            return;
        }

        try
        {
            WriteCheckpoint(cleanShutdown: false);
        }
        catch (Exception exception)
        {
            _ = Poison("high-water checkpoint", exception);
        }
    }

    private void WriteCheckpoint(bool cleanShutdown)
    {
        lock (_manifestLock)
        {
            WriteCheckpointLocked(cleanShutdown);
        }
    }

    private void WriteCheckpointLocked(bool cleanShutdown)
    {
        if (_manifest is null || _manifestClosed)
        {
            return;
        }

        var next = new WalManifestState(0, Volatile.Read(ref _manifestFirstIndex), Volatile.Read(ref _durableIndex),
            Volatile.Read(ref _newestSegmentFirstIndex), cleanShutdown);
        if (_manifest.Current with { Sequence = 0 } != next)
        {
            _manifest.Write(next);
        }
    }

    /// <summary>
    /// Before records from <paramref name="fromIndex"/> on are removed: the manifest stops claiming them (durably),
    /// and <paramref name="newestSegmentFirstIndex"/> becomes the newest segment it requires (0: none).
    /// </summary>
    private void LowerHighWater(long fromIndex, long newestSegmentFirstIndex)
    {
        lock (_manifestLock)
        {
            Volatile.Write(ref _durableIndex, Math.Min(Volatile.Read(ref _durableIndex), fromIndex - 1));
            Volatile.Write(ref _newestSegmentFirstIndex, Math.Min(Volatile.Read(ref _newestSegmentFirstIndex), newestSegmentFirstIndex));
            WriteCheckpointLocked(cleanShutdown: false);
            Invariant.Assert(_manifest is null || _manifest.Current.HighWaterIndex < fromIndex);
        }
    }

    /// <summary>Before segments below <paramref name="firstIndex"/> are deleted: the manifest stops requiring them (durably).</summary>
    private void RaiseFirstIndex(long firstIndex)
    {
        lock (_manifestLock)
        {
            Volatile.Write(ref _manifestFirstIndex, Math.Max(Volatile.Read(ref _manifestFirstIndex), firstIndex));
            WriteCheckpointLocked(cleanShutdown: false);
            Invariant.Assert(_manifest is null || _manifest.Current.FirstIndex >= firstIndex);
        }
    }

    /// <summary>After a mutation left the log in a new durable state: record it exactly (synchronously).</summary>
    private void RecordExactState()
    {
        lock (_manifestLock)
        {
            Volatile.Write(ref _durableIndex, LastIndex);
            Volatile.Write(ref _manifestFirstIndex, FirstIndex);
            Volatile.Write(ref _newestSegmentFirstIndex, _segments[^1].FirstIndex);
            WriteCheckpointLocked(cleanShutdown: false);
        }
    }

    /// <summary>At dispose: record the exact end (unless poisoned) and close the manifest.</summary>
    private void CloseManifest()
    {
        _checkpointTimer?.Dispose();
        _checkpointTimer = null;
        lock (_manifestLock)
        {
            if (_manifest is null)
            {
                return;
            }

            try
            {
                if (_failure is null && _busy == 0)
                {
                    Volatile.Write(ref _durableIndex, LastIndex);
                    WriteCheckpointLocked(cleanShutdown: true);
                }
            }
            catch (Exception exception)
            {
                // The next open still finds the last checkpoint, which claims no more than the files hold.
                _ = Poison("manifest write at close", exception);
            }
            finally
            {
                _manifestClosed = true;
                _manifest.Dispose();
                _manifest = null;
            }
        }
    }
}
