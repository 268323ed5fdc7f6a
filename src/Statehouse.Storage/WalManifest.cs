using System.Buffers.Binary;

namespace Statehouse.Storage;

/// <summary>
/// What the WAL manifest (<c>wal.manifest</c>) says the log must hold: recovery refuses a log that starts after
/// <see cref="FirstIndex"/>, ends before <see cref="HighWaterIndex"/> or lacks the segment
/// <see cref="NewestSegmentFirstIndex"/>. Each value is written only once it is true on disk (raised after the
/// fact, lowered before the change), so a crash never leaves a manifest that claims more than the files hold.
/// </summary>
/// <param name="Sequence">Write count; the slot with the higher one is current.</param>
/// <param name="FirstIndex">The log must start at or before this index.</param>
/// <param name="HighWaterIndex">The log must reach at least this index (every record up to it was durable).</param>
/// <param name="NewestSegmentFirstIndex">A segment starting at or after this index must exist (0: none recorded).</param>
/// <param name="CleanShutdown">Written by <see cref="WriteAheadLog.Dispose"/>: the high-water index is the exact last index.</param>
internal readonly record struct WalManifestState(long Sequence, long FirstIndex, long HighWaterIndex, long NewestSegmentFirstIndex, bool CleanShutdown);

/// <summary>How reading the manifest went.</summary>
internal enum WalManifestReadOutcome
{
    /// <summary>A valid slot was found.</summary>
    Valid,

    /// <summary>No manifest file (a log written before manifests existed, or a new log).</summary>
    Missing,

    /// <summary>The file holds only zeros (no slot was ever written): treated like a missing manifest.</summary>
    Empty,

    /// <summary>Neither slot verifies, and at least one holds non-zero bytes.</summary>
    Corrupt,
}

/// <summary>
/// The manifest file: two fixed 64-byte slots at offsets 0 and 4096, written alternately and fdatasynced, so a
/// torn write can only damage the slot being written and the other one still holds the previous state. No rename:
/// a slot write changes neither the file's size nor its directory entry once both slots exist.
/// </summary>
/// <remarks>
/// Slot: <c>0 "SHWALMF1" | 8 u32 version=1 | 12 u32 flags (bit 0: clean shutdown) | 16 u64 sequence |
/// 24 u64 firstIndex | 32 u64 highWaterIndex | 40 u64 newestSegmentFirstIndex | 48 12 bytes reserved |
/// 60 u32 crc32c of bytes 0..60</c>. Each slot has a 4 KiB page of its own, so writeback of one never touches the
/// other. Threading: callers serialize (the WAL holds its manifest lock).
/// </remarks>
internal sealed class WalManifest : IDisposable
{
    public const string FileName = "wal.manifest";
    public const string TempFileName = "wal.manifest.tmp";
    public const int SlotBytes = 64;
    public const int SlotStrideBytes = 4096;
    public const int FileBytes = 2 * SlotStrideBytes;
    private const uint FormatVersion = 1;
    private const uint CleanShutdownFlag = 1;
    private const int CrcOffset = SlotBytes - 4;

    private readonly IStorageFile _file;
    private readonly bool _sync;
    private readonly byte[] _slot = new byte[SlotBytes];

    private WalManifest(IStorageFile file, WalManifestState current, bool sync)
    {
        _file = file;
        Current = current;
        _sync = sync;
    }

    /// <summary>The state last written (or read at open).</summary>
    public WalManifestState Current { get; private set; }

    /// <summary>Full path of the file.</summary>
    public string Path => _file.Path;

    private static ReadOnlySpan<byte> Magic => "SHWALMF1"u8;

    /// <summary>Reads the newest valid slot of the manifest at <paramref name="path"/>.</summary>
    public static WalManifestReadOutcome TryRead(IStorageFileSystem fileSystem, string path, out WalManifestState state, out string? problem)
    {
        state = default;
        problem = null;
        if (!fileSystem.FileExists(path))
        {
            return WalManifestReadOutcome.Missing;
        }

        var content = new byte[FileBytes];
        int length;
        using (IStorageFile file = fileSystem.OpenFile(path, StorageOpenMode.ReadExisting))
        {
            length = file.ReadFully(0, content);
        }

        bool found = false;
        bool anyNonZero = false;
        var problems = new List<string>(2);
        for (int slot = 0; slot < 2; slot++)
        {
            int start = slot * SlotStrideBytes;
            ReadOnlySpan<byte> bytes = content.AsSpan(start, SlotBytes);
            if (!bytes.ContainsAnyExcept((byte)0))
            {
                continue;
            }

            anyNonZero = true;
            WalManifestState candidate = default;
            string? slotProblem = start + SlotBytes > length ? "slot cut short" : Decode(bytes, out candidate);
            if (slotProblem is not null)
            {
                problems.Add($"slot {slot}: {slotProblem}");
                continue;
            }

            if (!found || candidate.Sequence > state.Sequence)
            {
                state = candidate;
                found = true;
            }
        }

        Invariant.Assert(!found || state.Sequence >= 1);
        if (found)
        {
            problem = problems.Count > 0 ? string.Join("; ", problems) : null;
            return WalManifestReadOutcome.Valid;
        }

        // Content beyond the slots is not ours to judge; only the slots decide.
        problem = problems.Count > 0 ? string.Join("; ", problems) : "no slot written";
        return anyNonZero ? WalManifestReadOutcome.Corrupt : WalManifestReadOutcome.Empty;
    }

    /// <summary>
    /// Creates the manifest holding <paramref name="state"/> with sequence 1 — written to <c>wal.manifest.tmp</c>,
    /// fdatasynced and renamed over any existing file, then the directory fsynced — so a crash leaves the old file
    /// or the new one whole, and a manifest with a damaged slot is always damage, never a torn creation.
    /// </summary>
    public static WalManifest Create(IStorageFileSystem fileSystem, string directory, WalManifestState state, bool sync)
    {
        string path = System.IO.Path.Combine(directory, FileName);
        string tempPath = System.IO.Path.Combine(directory, TempFileName);
        fileSystem.DeleteFile(tempPath);
        var slot = new byte[SlotBytes];
        Encode(state with { Sequence = 1 }, slot);
        using (IStorageFile temp = fileSystem.OpenFile(tempPath, StorageOpenMode.CreateNew))
        {
            // Both slots exist from the start, so no later slot write changes the file size.
            temp.SetLength(FileBytes);
            temp.Write(SlotStrideBytes, slot);
            if (sync)
            {
                temp.Flush();
            }
        }

        fileSystem.RenameFile(tempPath, path);
        if (sync)
        {
            fileSystem.SyncDirectory(directory);
        }

        IStorageFile file = fileSystem.OpenFile(path, StorageOpenMode.WriteExisting);
        return new WalManifest(file, state with { Sequence = 1 }, sync);
    }

    /// <summary>Opens an existing, valid manifest for writing; the next write goes to the other slot than <paramref name="current"/>'s.</summary>
    public static WalManifest OpenExisting(IStorageFileSystem fileSystem, string path, WalManifestState current, bool sync)
    {
        Invariant.Assert(current.Sequence >= 1);
        IStorageFile file = fileSystem.OpenFile(path, StorageOpenMode.WriteExisting);
        try
        {
            if (file.Length < FileBytes)
            {
                file.SetLength(FileBytes);
            }

            return new WalManifest(file, current, sync);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="next"/> (its sequence is ignored: the next one is used) into the slot not holding
    /// the current state, and fdatasyncs it. A failure leaves the file's state unknown: the caller must poison.
    /// </summary>
    public void Write(WalManifestState next)
    {
        Invariant.Assert(next.FirstIndex >= 1);
        Invariant.Assert(next.HighWaterIndex >= 0);
        long sequence = Current.Sequence + 1;
        WalManifestState state = next with { Sequence = sequence };
        Encode(state, _slot);
        _file.Write((sequence % 2) * SlotStrideBytes, _slot);
        if (_sync)
        {
            _file.Flush();
        }

        Current = state;
    }

    public void Dispose() => _file.Dispose();

    internal static void Encode(WalManifestState state, Span<byte> slot)
    {
        Invariant.Assert(slot.Length == SlotBytes);
        Invariant.Assert(state.Sequence >= 1);
        slot.Clear();
        Magic.CopyTo(slot);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[8..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[12..], state.CleanShutdown ? CleanShutdownFlag : 0);
        BinaryPrimitives.WriteInt64LittleEndian(slot[16..], state.Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(slot[24..], state.FirstIndex);
        BinaryPrimitives.WriteInt64LittleEndian(slot[32..], state.HighWaterIndex);
        BinaryPrimitives.WriteInt64LittleEndian(slot[40..], state.NewestSegmentFirstIndex);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[CrcOffset..], Crc32C.Compute(slot[..CrcOffset]));
    }

    /// <summary>Null when the slot verifies; else why not.</summary>
    internal static string? Decode(ReadOnlySpan<byte> slot, out WalManifestState state)
    {
        state = default;
        if (Crc32C.Compute(slot[..CrcOffset]) != BinaryPrimitives.ReadUInt32LittleEndian(slot[CrcOffset..]))
        {
            return "checksum mismatch";
        }

        if (!slot[..8].SequenceEqual(Magic) || BinaryPrimitives.ReadUInt32LittleEndian(slot[8..]) != FormatVersion)
        {
            return "bad magic or unknown format version";
        }

        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(slot[12..]);
        state = new WalManifestState(
            BinaryPrimitives.ReadInt64LittleEndian(slot[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(slot[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(slot[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(slot[40..]),
            (flags & CleanShutdownFlag) != 0);
        if (state.Sequence < 1 || state.FirstIndex < 1 || state.HighWaterIndex < 0 || state.NewestSegmentFirstIndex < 0)
        {
            return "inconsistent fields";
        }

        return null;
    }
}
