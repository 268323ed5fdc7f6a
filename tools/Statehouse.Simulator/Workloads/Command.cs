using System.Buffers.Binary;
using System.Text;
using Statehouse.Simulator.Core;

namespace Statehouse.Simulator.Workloads;

/// <summary>What a state-machine command does.</summary>
internal enum CommandKind : byte
{
    /// <summary>Set a register.</summary>
    Write = 1,

    /// <summary>Set a register if it holds the expected value (null = absent).</summary>
    CompareAndSet,

    /// <summary>Move an amount between two bank accounts, atomically; refused when the source has too little.</summary>
    Transfer,
}

/// <summary>
/// A command as the log carries it. It names its client and operation, so the host that proposed it can tell its own
/// entry at an index from another leader's (and every entry is distinct, which the log checks rely on).
/// </summary>
internal sealed record Command(CommandKind Kind, int Client, long OpId, string Key, string? Value, string? Expected, string? To, long Amount)
{
    private const byte FormatVersion = 1;

    /// <summary>Binary form: version, kind, client, op, key, value, expected, to (length-prefixed UTF-8, −1 = null), amount.</summary>
    public byte[] Encode()
    {
        var size = 1 + 1 + 4 + 8 + Size(Key) + Size(Value) + Size(Expected) + Size(To) + 8;
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        span[0] = FormatVersion;
        span[1] = (byte)Kind;
        BinaryPrimitives.WriteInt32LittleEndian(span[2..], Client);
        BinaryPrimitives.WriteInt64LittleEndian(span[6..], OpId);
        var at = 14;
        at += Write(span[at..], Key);
        at += Write(span[at..], Value);
        at += Write(span[at..], Expected);
        at += Write(span[at..], To);
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], Amount);
        SimulatorAssert.That(at + 8 == size, "the encoded size is what was computed");
        return bytes;
    }

    /// <summary>Reads <see cref="Encode"/>'s form.</summary>
    public static Command Decode(ReadOnlySpan<byte> span)
    {
        SimulatorAssert.That(span.Length >= 14 && span[0] == FormatVersion, "a command of the known format");
        var kind = (CommandKind)span[1];
        var client = BinaryPrimitives.ReadInt32LittleEndian(span[2..]);
        var op = BinaryPrimitives.ReadInt64LittleEndian(span[6..]);
        var at = 14;
        var key = Read(span, ref at)!;
        var value = Read(span, ref at);
        var expected = Read(span, ref at);
        var to = Read(span, ref at);
        var amount = BinaryPrimitives.ReadInt64LittleEndian(span[at..]);
        return new Command(kind, client, op, key, value, expected, to, amount);
    }

    private static int Size(string? s) => 4 + (s is null ? 0 : Encoding.UTF8.GetByteCount(s));

    private static int Write(Span<byte> span, string? s)
    {
        if (s is null)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span, -1);
            return 4;
        }

        var length = Encoding.UTF8.GetBytes(s, span[4..]);
        BinaryPrimitives.WriteInt32LittleEndian(span, length);
        return 4 + length;
    }

    private static string? Read(ReadOnlySpan<byte> span, ref int at)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(span[at..]);
        at += 4;
        if (length < 0)
        {
            return null;
        }

        var s = Encoding.UTF8.GetString(span.Slice(at, length));
        at += length;
        return s;
    }
}
