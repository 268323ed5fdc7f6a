using System.Buffers;

namespace Statehouse.Storage;

/// <summary>
/// Sequential reader of the frames of one segment through a pooled chunk buffer; verifies index and checksum of
/// every record it returns.
/// </summary>
internal sealed class FrameReader : IDisposable
{
    private readonly IStorageFile _file;
    private readonly long _endOffsetBytes;
    private byte[]? _buffer;
    private long _bufferOffsetBytes;
    private int _bufferCount;

    /// <summary>Reads <paramref name="file"/> up to <paramref name="endOffsetBytes"/> (the end of the verified data).</summary>
    public FrameReader(IStorageFile file, long endOffsetBytes, int chunkBytes)
    {
        Invariant.Assert(chunkBytes >= WalFormat.FrameHeaderBytes);
        Invariant.Assert(endOffsetBytes >= WalFormat.SegmentHeaderBytes);
        _file = file;
        _endOffsetBytes = endOffsetBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(chunkBytes);
    }

    /// <summary>Offset of the next frame.</summary>
    public long PositionBytes { get; set; } = WalFormat.SegmentHeaderBytes;

    /// <summary>Reads the header of the frame at <see cref="PositionBytes"/>, checks its index, and moves past it.</summary>
    public FrameHeader SkipFrame(long expectedIndex)
    {
        FrameHeader header = ReadHeader(expectedIndex, out _);
        PositionBytes += header.FrameBytes;
        return header;
    }

    /// <summary>Reads and verifies the record at <see cref="PositionBytes"/>; the payload is a new array.</summary>
    public LogRecord ReadRecord(long expectedIndex)
    {
        FrameHeader header = ReadHeader(expectedIndex, out ReadOnlySpan<byte> headerBytes);
        uint crc = Crc32C.Compute(headerBytes[8..WalFormat.FrameHeaderBytes]);
        var payload = new byte[header.PayloadLengthBytes];
        long payloadOffset = PositionBytes + WalFormat.FrameHeaderBytes;

        // Take what the chunk already holds, then read the rest straight into the payload.
        int buffered = (int)Math.Clamp(_bufferOffsetBytes + _bufferCount - payloadOffset, 0, payload.Length);
        _buffer.AsSpan((int)(payloadOffset - _bufferOffsetBytes), buffered).CopyTo(payload);
        if (buffered < payload.Length && _file.ReadFully(payloadOffset + buffered, payload.AsSpan(buffered)) != payload.Length - buffered)
        {
            throw new WalCorruptedException(_file.Path, PositionBytes, "segment ends inside a record");
        }

        if (Crc32C.Append(crc, payload) != header.Crc)
        {
            throw new WalCorruptedException(_file.Path, PositionBytes, $"checksum mismatch reading record {expectedIndex}");
        }

        PositionBytes += header.FrameBytes;
        return new LogRecord(header.Index, header.Term, payload);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    private FrameHeader ReadHeader(long expectedIndex, out ReadOnlySpan<byte> headerBytes)
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        headerBytes = EnsureBuffered(WalFormat.FrameHeaderBytes);
        FrameHeader header = WalFormat.ReadFrameHeader(headerBytes);
        if (header.Index != expectedIndex)
        {
            throw new WalCorruptedException(_file.Path, PositionBytes, $"record index {header.Index} where {expectedIndex} was expected");
        }

        if (PositionBytes + header.FrameBytes > _endOffsetBytes)
        {
            throw new WalCorruptedException(_file.Path, PositionBytes, "frame extends past the verified end of the segment");
        }

        return header;
    }

    private ReadOnlySpan<byte> EnsureBuffered(int count)
    {
        Invariant.Assert(_buffer is not null);
        Invariant.Assert(count <= _buffer.Length);
        long start = PositionBytes - _bufferOffsetBytes;
        if (start < 0 || start + count > _bufferCount)
        {
            int want = (int)Math.Min(_buffer.Length, _endOffsetBytes - PositionBytes);
            _bufferOffsetBytes = PositionBytes;
            _bufferCount = want > 0 ? _file.ReadFully(PositionBytes, _buffer.AsSpan(0, want)) : 0;
            start = 0;
            if (_bufferCount < count)
            {
                throw new WalCorruptedException(_file.Path, PositionBytes, "segment ends inside a frame header");
            }
        }

        return _buffer.AsSpan((int)start, count);
    }
}
