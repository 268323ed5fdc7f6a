namespace Statehouse.Checking;

/// <summary>One violated guarantee, in words a reader can act on, with the operations that show it.</summary>
public sealed record Anomaly(string Kind, string Detail);
