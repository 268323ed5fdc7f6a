using System.Buffers;
using Statehouse.Core;
using Statehouse.Core.Codecs;

namespace Statehouse.Server;

/// <summary>A range page's continuation: the revision the first page was read at and the last key returned (base64url).</summary>
public static class ContinuationToken
{
    /// <summary>Encodes a token.</summary>
    public static string Encode(long revision, byte[] lastKey)
    {
        var buffer = new ArrayBufferWriter<byte>(lastKey.Length + 16);
        var e = new BinaryEncoder(buffer);
        e.WriteByte(1);
        e.WriteVarInt(revision);
        e.WriteBytes(lastKey);
        return Convert.ToBase64String(buffer.WrittenSpan).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Decodes a token, or fails with InvalidArgument.</summary>
    public static (long Revision, byte[] LastKey) Decode(string token)
    {
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
            var bytes = Convert.FromBase64String(b64);
            var d = new BinaryDecoder(bytes);
            if (d.ReadByte() != 1)
            {
                throw new FormatException("Unknown token version.");
            }

            var revision = d.ReadVarInt();
            var key = d.ReadBytes();
            return d.End && revision > 0 ? (revision, key) : throw new FormatException("Malformed token.");
        }
        catch (FormatException ex)
        {
            throw new StatehouseException(ErrorCode.InvalidArgument, "The continuation token is malformed.", ex);
        }
    }
}
