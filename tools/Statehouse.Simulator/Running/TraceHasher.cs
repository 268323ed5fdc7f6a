using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Statehouse.Simulator.Running;

/// <summary>
/// SHA-256 over every processed event (time, kind and what it carried): two runs with the same hash took the same
/// path. Fields are buffered and hashed in blocks to keep the cost per event small.
/// </summary>
internal sealed class TraceHasher : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _buffer = new byte[4096];
    private int _length;

    public void Add(long value)
    {
        if (_length + 8 > _buffer.Length)
        {
            Flush();
        }

        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void Add(ulong value) => Add(unchecked((long)value));

    /// <summary>The hash of everything added (hex, lower case).</summary>
    public string Finish()
    {
        Flush();
        return Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    public void Dispose() => _hash.Dispose();

    private void Flush()
    {
        _hash.AppendData(_buffer, 0, _length);
        _length = 0;
    }
}
