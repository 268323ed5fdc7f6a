using System.Buffers;

namespace Statehouse.Storage;

/// <summary>
/// Write-only, buffered stream behind <see cref="SnapshotWriter.Body"/>: writes through to the temp file and
/// computes the CRC-32C of header and body as the bytes pass.
/// </summary>
/// <remarks>
/// The <see cref="SnapshotWriter"/> owns it: disposing the stream (say, through a wrapping writer) does nothing, so it
/// cannot end the body early; <see cref="Release"/> does, when the writer is disposed.
/// </remarks>
internal sealed class SnapshotBodyStream : Stream
{
    private readonly IStorageFile _file;
    private readonly long _maxBodyBytes;
    private byte[]? _buffer;
    private int _used;
    private long _fileOffsetBytes;
    private long _bodyBytes;
    private uint _crc;
    private bool _completed;

    /// <summary>Starts the file with <paramref name="header"/>, which the checksum covers too.</summary>
    public SnapshotBodyStream(IStorageFile file, ReadOnlySpan<byte> header, int bufferBytes, long maxBodyBytes)
    {
        Invariant.Assert(bufferBytes >= header.Length);
        Invariant.Assert(maxBodyBytes >= 0);
        _file = file;
        _maxBodyBytes = maxBodyBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(bufferBytes);
        header.CopyTo(_buffer);
        _used = header.Length;
    }

    /// <inheritdoc/>
    public override bool CanRead => false;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => _buffer is not null && !_completed;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <summary>Body bytes written so far.</summary>
    public override long Position
    {
        get => _bodyBytes;
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        byte[] target = ThrowIfNotWritable();
        if (_bodyBytes + buffer.Length > _maxBodyBytes)
        {
            throw new IOException($"Snapshot body exceeds MaxSnapshotBytes ({_maxBodyBytes}).");
        }

        while (!buffer.IsEmpty)
        {
            int take = Math.Min(buffer.Length, target.Length - _used);
            buffer[..take].CopyTo(target.AsSpan(_used));
            _used += take;
            _bodyBytes += take;
            buffer = buffer[take..];
            if (_used == target.Length)
            {
                FlushBuffer();
            }
        }
    }

    /// <inheritdoc/>
    public override void WriteByte(byte value) => Write([value]);

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // The file writes are synchronous positional writes; doing them inline avoids a thread hop per call.
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Writes buffered bytes to the file (not a durability barrier; <see cref="SnapshotWriter.Commit"/> is).</summary>
    public override void Flush()
    {
        if (_buffer is not null && !_completed)
        {
            FlushBuffer();
        }
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Writes what is buffered and ends the body: returns its length, the checksum so far and where it ends.</summary>
    public (long BodyBytes, uint Crc, long EndOffsetBytes) Complete()
    {
        ThrowIfNotWritable();
        FlushBuffer();
        _completed = true;
        Invariant.Assert(_used == 0);
        Invariant.Assert(_fileOffsetBytes == SnapshotFormat.HeaderBytes + _bodyBytes);
        return (_bodyBytes, _crc, _fileOffsetBytes);
    }

    /// <summary>Returns the buffer to the pool; called by <see cref="SnapshotWriter.Dispose"/>. Later writes throw.</summary>
    public void Release()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    private byte[] ThrowIfNotWritable()
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        if (_completed)
        {
            throw new InvalidOperationException("The snapshot was committed; its body is complete.");
        }

        return _buffer;
    }

    private void FlushBuffer()
    {
        Invariant.Assert(_buffer is not null);
        if (_used == 0)
        {
            return;
        }

        ReadOnlySpan<byte> pending = _buffer.AsSpan(0, _used);
        _crc = Crc32C.Append(_crc, pending);
        _file.Write(_fileOffsetBytes, pending);
        _fileOffsetBytes += _used;
        _used = 0;
    }
}
