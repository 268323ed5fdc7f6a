using System.Text;
using Statehouse.Raft;

namespace Statehouse.Replication.Tests;

/// <summary>A state machine that keeps every applied command as a string, in order; snapshots are the list.</summary>
internal sealed class ListMachine : IGroupStateMachine
{
    public List<string> Commands { get; private set; } = [];

    public LogIndex Applied { get; private set; }

    public List<ulong> ReadsReady { get; } = [];

    public List<ulong> ReadsFailed { get; } = [];

    public int Restores { get; private set; }

    public (NodeId Leader, RaftRole Role) Role { get; private set; }

    public void Apply(Entry entry)
    {
        Assert.Equal(Applied.Next, entry.Index);
        Applied = entry.Index;
        if (entry.Kind == EntryKind.Command)
        {
            Commands.Add(Encoding.UTF8.GetString(entry.Data.Span));
        }
    }

    public void Restore(SnapshotMeta snapshot, Stream data)
    {
        using var reader = new StreamReader(data, Encoding.UTF8);
        var text = reader.ReadToEnd();
        Commands = text.Length == 0 ? [] : [.. text.Split('\n')];
        Applied = snapshot.Index;
        Restores++;
    }

    public IStateCapture Capture() => new ListCapture([.. Commands]);

    public void OnRoleChanged(NodeId leader, RaftRole role) => Role = (leader, role);

    public void OnReadReady(ulong requestId) => ReadsReady.Add(requestId);

    public void OnReadFailed(ulong requestId, NodeId leader) => ReadsFailed.Add(requestId);

    private sealed class ListCapture(string[] commands) : IStateCapture
    {
        public void WriteTo(Stream destination) => destination.Write(Encoding.UTF8.GetBytes(string.Join('\n', commands)));
    }
}
