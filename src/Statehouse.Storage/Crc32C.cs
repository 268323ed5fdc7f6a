using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Statehouse.Storage;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every storage format in this project.
/// </summary>
/// <remarks>
/// Uses the SSE4.2 <c>crc32</c> instruction on x86/x64 and the ARMv8 CRC32 instructions on Arm, with a
/// byte-table fallback elsewhere. <see cref="Append"/> continues a checksum, so
/// <c>Append(Compute(a), b) == Compute(a ‖ b)</c>. Check value: <c>Compute("123456789") == 0xE3069283</c>.
/// </remarks>
public static class Crc32C
{
    private const uint ReflectedPolynomial = 0x82F63B78u;

    private static readonly uint[] Table = CreateTable();

    /// <summary>Computes the CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues <paramref name="crc"/> (a finished CRC-32C value) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => ~Update(~crc, data);

    /// <summary>Same as <see cref="Append"/> but always with the portable table; for tests.</summary>
    internal static uint AppendSoftware(uint crc, ReadOnlySpan<byte> data) => ~UpdateTable(~crc, data);

    private static uint Update(uint state, ReadOnlySpan<byte> data)
    {
        if (Sse42.X64.IsSupported)
        {
            return UpdateSse42X64(state, data);
        }

        if (Sse42.IsSupported)
        {
            return UpdateSse42(state, data);
        }

        if (Crc32.Arm64.IsSupported)
        {
            return UpdateArm64(state, data);
        }

        return UpdateTable(state, data);
    }

    private static uint UpdateSse42X64(uint state, ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int i = 0;
        ulong wide = state;
        for (; i + sizeof(ulong) <= length; i += sizeof(ulong))
        {
            wide = Sse42.X64.Crc32(wide, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i)));
        }

        uint narrow = (uint)wide;
        for (; i < length; i++)
        {
            narrow = Sse42.Crc32(narrow, Unsafe.Add(ref start, i));
        }

        return narrow;
    }

    private static uint UpdateSse42(uint state, ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int i = 0;
        for (; i + sizeof(uint) <= length; i += sizeof(uint))
        {
            state = Sse42.Crc32(state, Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i)));
        }

        for (; i < length; i++)
        {
            state = Sse42.Crc32(state, Unsafe.Add(ref start, i));
        }

        return state;
    }

    private static uint UpdateArm64(uint state, ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int i = 0;
        for (; i + sizeof(ulong) <= length; i += sizeof(ulong))
        {
            state = Crc32.Arm64.ComputeCrc32C(state, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i)));
        }

        for (; i < length; i++)
        {
            state = Crc32.ComputeCrc32C(state, Unsafe.Add(ref start, i));
        }

        return state;
    }

    private static uint UpdateTable(uint state, ReadOnlySpan<byte> data)
    {
        uint[] table = Table;
        foreach (byte value in data)
        {
            state = table[(byte)(state ^ value)] ^ (state >> 8);
        }

        return state;
    }

    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < table.Length; n++)
        {
            uint c = n;
            for (int bit = 0; bit < 8; bit++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ ReflectedPolynomial : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
