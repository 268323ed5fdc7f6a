using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Statehouse.Core.Codecs;

/// <summary>Writes the little-endian, length-prefixed binary encoding used by commands, results and snapshots.</summary>
public sealed class BinaryEncoder(IBufferWriter<byte> output)
{
    private readonly IBufferWriter<byte> _output = output;

    public void WriteByte(byte value)
    {
        var span = _output.GetSpan(1);
        span[0] = value;
        _output.Advance(1);
    }

    public void WriteBool(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    /// <summary>Unsigned LEB128.</summary>
    public void WriteVarUInt(ulong value)
    {
        var span = _output.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        _output.Advance(i);
    }

    /// <summary>Zig-zag signed LEB128.</summary>
    public void WriteVarInt(long value) => WriteVarUInt((ulong)((value << 1) ^ (value >> 63)));

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_output.GetSpan(8), value);
        _output.Advance(8);
    }

    /// <summary>Length-prefixed bytes.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteVarUInt((ulong)value.Length);
        value.CopyTo(_output.GetSpan(value.Length));
        _output.Advance(value.Length);
    }

    /// <summary>Null-aware length-prefixed bytes (length+1, 0 = null).</summary>
    public void WriteNullableBytes(byte[]? value)
    {
        if (value is null)
        {
            WriteVarUInt(0);
            return;
        }

        WriteVarUInt((ulong)value.Length + 1);
        value.CopyTo(_output.GetSpan(value.Length));
        _output.Advance(value.Length);
    }

    public void WriteString(string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max <= 256)
        {
            Span<byte> buffer = stackalloc byte[256];
            var n = Encoding.UTF8.GetBytes(value, buffer);
            WriteBytes(buffer[..n]);
            return;
        }

        WriteBytes(Encoding.UTF8.GetBytes(value));
    }

    public void WriteNullableString(string? value)
    {
        WriteBool(value is not null);
        if (value is not null)
        {
            WriteString(value);
        }
    }
}

/// <summary>Reads what <see cref="BinaryEncoder"/> wrote. Throws <see cref="FormatException"/> on truncated or malformed input.</summary>
public ref struct BinaryDecoder(ReadOnlySpan<byte> input)
{
    private readonly ReadOnlySpan<byte> _input = input;
    private int _position;

    public readonly int Position => _position;

    public readonly bool End => _position >= _input.Length;

    public byte ReadByte()
    {
        if (_position >= _input.Length)
        {
            throw new FormatException("Unexpected end of encoded data.");
        }

        return _input[_position++];
    }

    public bool ReadBool() => ReadByte() switch
    {
        0 => false,
        1 => true,
        var b => throw new FormatException($"Invalid boolean byte {b}."),
    };

    public ulong ReadVarUInt()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = ReadByte();
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new FormatException("Varint too long.");
    }

    public long ReadVarInt()
    {
        var raw = ReadVarUInt();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public long ReadInt64()
    {
        var span = Take(8);
        return BinaryPrimitives.ReadInt64LittleEndian(span);
    }

    public int ReadLength()
    {
        var length = ReadVarUInt();
        if (length > (ulong)(_input.Length - _position))
        {
            throw new FormatException("Length prefix exceeds the data.");
        }

        return (int)length;
    }

    /// <summary>Moves past <paramref name="count"/> bytes (a caller that slices them from its own memory).</summary>
    public void Skip(int count) => Take(count);

    public byte[] ReadBytes() => Take(ReadLength()).ToArray();

    public byte[]? ReadNullableBytes()
    {
        var raw = ReadVarUInt();
        if (raw == 0)
        {
            return null;
        }

        var length = raw - 1;
        if (length > (ulong)(_input.Length - _position))
        {
            throw new FormatException("Length prefix exceeds the data.");
        }

        return Take((int)length).ToArray();
    }

    public string ReadString() => Encoding.UTF8.GetString(Take(ReadLength()));

    public string? ReadNullableString() => ReadBool() ? ReadString() : null;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _input.Length - _position)
        {
            throw new FormatException("Unexpected end of encoded data.");
        }

        var span = _input.Slice(_position, count);
        _position += count;
        return span;
    }
}
