namespace Statehouse.Storage;

/// <summary>The Raft state that must survive a restart: the current term and the vote cast in it.</summary>
/// <param name="Term">Current term; 0 before any election.</param>
/// <param name="VotedFor">Candidate voted for in <paramref name="Term"/>; null when no vote was cast.</param>
public readonly record struct RaftMetadata(long Term, string? VotedFor);
