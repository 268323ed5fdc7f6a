using System.Buffers.Binary;
using System.Globalization;

namespace Statehouse.Chaos.Runner;

/// <summary>
/// The WAL and snapshot damage matrix (issue 11), applied to a stopped node's data folder: delete the newest, a middle
/// or the first segment; truncate the newest to 0 or cut its last frame by k bytes; flip one bit in one of the last
/// frames or in a sealed segment; delete or corrupt the newest or an older snapshot. After the damage the node must
/// either start with every acknowledged write or refuse to start with a clear message; never a silently shorter log.
/// </summary>
/// <remarks>
/// Frames are found by walking the segment (the format in docs/internals/storage.md: header, then
/// <c>[u32 length][u32 crc][u64 index][u64 term][payload]</c>), so "the last frame" is the last record written, not
/// the end of a preallocated file.
/// </remarks>
public static class DiskDamage
{
    /// <summary>Every case name; <c>cut-last-frame:K</c> and <c>flip-frame:J</c> take a number (bytes, frames from the end).</summary>
    public static readonly string[] Cases =
    [
        "delete-newest-segment", "delete-middle-segment", "delete-first-segment", "truncate-newest-to-0",
        "cut-last-frame:1", "cut-last-frame:8", "cut-last-frame:24", "cut-last-frame:100",
        "flip-frame:1", "flip-frame:2", "flip-frame:3", "flip-frame:5", "flip-sealed-segment",
        "delete-newest-snapshot", "corrupt-newest-snapshot", "delete-oldest-snapshot", "corrupt-oldest-snapshot",
    ];

    private const int SegmentHeaderV1Bytes = 16;
    private const int SegmentHeaderV2Bytes = 32;
    private const int FrameHeaderBytes = 24;

    /// <summary>Applies <paramref name="damage"/> to the data folder; returns what was done, or null when the case does not apply here.</summary>
    public static string? Apply(string dataFolder, string damage, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var wal = Path.Combine(dataFolder, "wal");
        var segments = Directory.Exists(wal)
            ? Directory.GetFiles(wal, "wal-*.seg").Order(StringComparer.Ordinal).ToList()
            : [];
        var snapshots = Directory.Exists(dataFolder)
            ? Directory.GetFiles(dataFolder, "snap-*.snap", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList()
            : [];
        var (kind, number) = damage.Split(':') is [var k, var n] ? (k, int.Parse(n, CultureInfo.InvariantCulture)) : (damage, 0);
        switch (kind)
        {
            case "delete-newest-segment" when segments.Count > 0:
                File.Delete(segments[^1]);
                return $"deleted {Path.GetFileName(segments[^1])}";
            case "delete-middle-segment" when segments.Count >= 3:
                var middle = segments[segments.Count / 2];
                File.Delete(middle);
                return $"deleted {Path.GetFileName(middle)}";
            case "delete-first-segment" when segments.Count >= 2:
                File.Delete(segments[0]);
                return $"deleted {Path.GetFileName(segments[0])}";
            case "truncate-newest-to-0" when segments.Count > 0:
                using (var f = new FileStream(segments[^1], FileMode.Open, FileAccess.Write))
                {
                    f.SetLength(0);
                }

                return $"truncated {Path.GetFileName(segments[^1])} to 0 bytes";
            case "cut-last-frame" when segments.Count > 0 && Frames(segments[^1]) is [.., var last]:
                var cut = Math.Min(number, last.Length);
                using (var f = new FileStream(segments[^1], FileMode.Open, FileAccess.Write))
                {
                    f.SetLength(last.Offset + last.Length - cut);
                }

                return $"cut the last {cut} bytes of the last frame (index {last.Index}) of {Path.GetFileName(segments[^1])}";
            case "flip-frame" when segments.Count > 0 && Frames(segments[^1]) is { Count: > 0 } frames && frames.Count >= number:
                var frame = frames[^number];
                var at = frame.Offset + FrameHeaderBytes + (frame.Length > FrameHeaderBytes ? random.Next(frame.Length - FrameHeaderBytes) : 0);
                FlipBit(segments[^1], at, random);
                return $"flipped a bit at byte {at} (frame {number} from the end, index {frame.Index}) of {Path.GetFileName(segments[^1])}";
            case "flip-sealed-segment" when segments.Count >= 2 && Frames(segments[^2]) is { Count: > 0 } sealedFrames:
                var victim = sealedFrames[random.Next(sealedFrames.Count)];
                var pos = victim.Offset + random.Next(victim.Length);
                FlipBit(segments[^2], pos, random);
                return $"flipped a bit at byte {pos} (index {victim.Index}) of sealed {Path.GetFileName(segments[^2])}";
            case "delete-newest-snapshot" when snapshots.Count > 0:
                File.Delete(snapshots[^1]);
                return $"deleted {Path.GetFileName(snapshots[^1])}";
            case "delete-oldest-snapshot" when snapshots.Count >= 2:
                File.Delete(snapshots[0]);
                return $"deleted {Path.GetFileName(snapshots[0])}";
            case "corrupt-newest-snapshot" when snapshots.Count > 0:
                return CorruptMiddle(snapshots[^1], random);
            case "corrupt-oldest-snapshot" when snapshots.Count >= 2:
                return CorruptMiddle(snapshots[0], random);
            default:
                return null;
        }
    }

    /// <summary>One record's place in a segment.</summary>
    public readonly record struct FrameSpan(long Offset, int Length, ulong Index);

    /// <summary>The frames of a segment, in order, up to the first that does not parse (a torn tail or zeros).</summary>
    public static List<FrameSpan> Frames(string segment)
    {
        var bytes = File.ReadAllBytes(segment);
        var frames = new List<FrameSpan>();
        if (bytes.Length < SegmentHeaderV1Bytes)
        {
            return frames;
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        long offset = version == 2 ? SegmentHeaderV2Bytes : SegmentHeaderV1Bytes;
        while (offset + FrameHeaderBytes <= bytes.Length)
        {
            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)offset));
            var index = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan((int)offset + 8));
            if (length == 0 && index == 0)
            {
                break; // preallocated zeros: the end of what was written
            }

            if (length > bytes.Length || offset + FrameHeaderBytes + length > bytes.Length)
            {
                break;
            }

            frames.Add(new FrameSpan(offset, FrameHeaderBytes + (int)length, index));
            offset += FrameHeaderBytes + length;
        }

        return frames;
    }

    private static void FlipBit(string path, long at, Random random)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.Position = at;
        var b = f.ReadByte();
        f.Position = at;
        f.WriteByte((byte)(b ^ (1 << random.Next(8))));
        f.Flush(flushToDisk: true);
    }

    private static string CorruptMiddle(string path, Random random)
    {
        var length = new FileInfo(path).Length;
        var at = length / 2;
        FlipBit(path, at, random);
        return $"flipped a bit at byte {at} of {Path.GetFileName(path)}";
    }
}
