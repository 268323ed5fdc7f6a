namespace Statehouse.Storage;

/// <summary>Result of <see cref="SegmentScanner.Scan"/>.</summary>
/// <param name="Outcome">How the scan ended.</param>
/// <param name="OffsetBytes">Where the first bad byte is (for <see cref="ScanOutcome.Clean"/>, the end of the data).</param>
/// <param name="GarbageBytes">For a torn tail, the non-zero bytes from <paramref name="OffsetBytes"/> on.</param>
/// <param name="Reason">What was wrong; null when clean.</param>
internal readonly record struct SegmentScan(ScanOutcome Outcome, long OffsetBytes, long GarbageBytes, string? Reason);
