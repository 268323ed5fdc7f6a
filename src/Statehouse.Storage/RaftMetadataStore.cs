using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Statehouse.Storage;

/// <summary>
/// Persists <see cref="RaftMetadata"/> (term and vote) atomically in <c>{DataDirectory}/raft.meta</c>: write a temp
/// file, fdatasync, rename over the old one, fsync the directory. A crash leaves the old or the new value, never a
/// mix. Format: docs/internals/storage.md.
/// </summary>
/// <remarks>
/// Raft needs the vote durable before the RequestVote reply leaves (§5.2), so <see cref="Save"/> returns only when
/// it is. Safe to call from several threads. As a safety net it refuses a decreasing term and a changed vote
/// within one term, which Raft never does.
/// </remarks>
public sealed class RaftMetadataStore
{
    /// <summary>Name of the metadata file in the data directory.</summary>
    public const string FileName = "raft.meta";

    /// <summary>Longest accepted <see cref="RaftMetadata.VotedFor"/>, in UTF-8 bytes.</summary>
    public const int MaxVotedForBytes = 1024;

    private const string TempSuffix = ".tmp";
    private const int FormatVersion = 1;
    private const int FixedBytes = 24;
    private const int CrcBytes = 4;
    private const int NoVote = -1;

    private readonly Lock _gate = new();
    private readonly IStorageFileSystem _fileSystem;
    private readonly ILogger _logger;
    private readonly string _directory;
    private readonly string _path;
    private RaftMetadata? _current;

    /// <summary>Creates the store for <paramref name="dataDirectory"/>; does no I/O.</summary>
    public RaftMetadataStore(string dataDirectory, IStorageFileSystem? fileSystem = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        _fileSystem = fileSystem ?? PhysicalFileSystem.Instance;
        _logger = logger ?? NullLogger.Instance;
        _directory = Path.GetFullPath(dataDirectory);
        _path = Path.Combine(_directory, FileName);
    }

    /// <summary>Magic at the start of the file.</summary>
    private static ReadOnlySpan<byte> Magic => "SHRAFT01"u8;

    /// <summary>Reads the persisted metadata; <c>(0, null)</c> when none was ever saved.</summary>
    /// <exception cref="StorageCorruptedException">The file exists but fails verification.</exception>
    public RaftMetadata Load()
    {
        lock (_gate)
        {
            _current = LoadCore();
            return _current.Value;
        }
    }

    /// <summary>Durably replaces the persisted metadata; returns once it would survive a power loss.</summary>
    /// <exception cref="ArgumentException">The term decreases, the vote changes within a term, or the name is too long.</exception>
    public void Save(RaftMetadata metadata)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(metadata.Term, nameof(metadata));
        int votedForBytes = metadata.VotedFor is null ? 0 : Encoding.UTF8.GetByteCount(metadata.VotedFor);
        if (votedForBytes > MaxVotedForBytes)
        {
            throw new ArgumentException($"VotedFor takes {votedForBytes} UTF-8 bytes; at most {MaxVotedForBytes} are allowed.", nameof(metadata));
        }

        lock (_gate)
        {
            RaftMetadata current = _current ??= LoadCore();
            if (metadata.Term < current.Term)
            {
                throw new ArgumentException($"Term {metadata.Term} is below the persisted term {current.Term}; terms never decrease.", nameof(metadata));
            }

            if (metadata.Term == current.Term && current.VotedFor is not null && metadata.VotedFor != current.VotedFor)
            {
                throw new ArgumentException($"A vote for '{current.VotedFor}' is already persisted in term {current.Term}.", nameof(metadata));
            }

            byte[] content = Encode(metadata, votedForBytes);

            // 1. Write a temp file and make its data durable. 2. Rename it over the old file. 3. Make the rename durable.
            _fileSystem.CreateDirectory(_directory);
            string tempPath = _path + TempSuffix;
            _fileSystem.DeleteFile(tempPath);
            using (IStorageFile file = _fileSystem.OpenFile(tempPath, StorageOpenMode.CreateNew))
            {
                file.Write(0, content);
                file.Flush();
            }

            _fileSystem.RenameFile(tempPath, _path);
            _fileSystem.SyncDirectory(_directory);
            _current = metadata;
            Log.RaftMetadataSaved(_logger, metadata.Term, metadata.VotedFor);
        }
    }

    private static byte[] Encode(RaftMetadata metadata, int votedForBytes)
    {
        var content = new byte[FixedBytes + votedForBytes + CrcBytes];
        Magic.CopyTo(content);
        BinaryPrimitives.WriteInt32LittleEndian(content.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(content.AsSpan(12), metadata.VotedFor is null ? NoVote : votedForBytes);
        BinaryPrimitives.WriteInt64LittleEndian(content.AsSpan(16), metadata.Term);
        int written = metadata.VotedFor is null ? 0 : Encoding.UTF8.GetBytes(metadata.VotedFor, content.AsSpan(FixedBytes));
        Invariant.Assert(written == votedForBytes);
        int crcOffset = FixedBytes + votedForBytes;
        BinaryPrimitives.WriteUInt32LittleEndian(content.AsSpan(crcOffset), Crc32C.Compute(content.AsSpan(0, crcOffset)));
        Invariant.Assert(crcOffset + CrcBytes == content.Length);
        return content;
    }

    private RaftMetadata LoadCore()
    {
        if (!_fileSystem.FileExists(_path))
        {
            return new RaftMetadata(0, null);
        }

        using IStorageFile file = _fileSystem.OpenFile(_path, StorageOpenMode.ReadExisting);
        long length = file.Length;
        if (length < FixedBytes + CrcBytes || length > FixedBytes + MaxVotedForBytes + CrcBytes)
        {
            throw new StorageCorruptedException(_path, 0, $"metadata file of {length} bytes has an impossible length");
        }

        var content = new byte[length];
        if (file.ReadFully(0, content) != length)
        {
            throw new StorageCorruptedException(_path, 0, "short read");
        }

        ReadOnlySpan<byte> bytes = content;
        int crcOffset = content.Length - CrcBytes;
        if (Crc32C.Compute(bytes[..crcOffset]) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[crcOffset..]))
        {
            throw new StorageCorruptedException(_path, crcOffset, "checksum mismatch");
        }

        int votedForLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        long term = BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]);
        if (!bytes[..8].SequenceEqual(Magic) || BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]) != FormatVersion)
        {
            throw new StorageCorruptedException(_path, 0, "bad magic or unknown format version");
        }

        if (term < 0 || (votedForLength != NoVote && votedForLength != crcOffset - FixedBytes)
            || (votedForLength == NoVote && crcOffset != FixedBytes))
        {
            throw new StorageCorruptedException(_path, 12, "inconsistent fields");
        }

        string? votedFor = votedForLength == NoVote ? null : Encoding.UTF8.GetString(bytes[FixedBytes..crcOffset]);
        return new RaftMetadata(term, votedFor);
    }
}
