using Statehouse.Core.Model;
using Statehouse.Core.Store;

namespace Statehouse.Core.Tests.Support;

/// <summary>Feeds a state machine one batch per call with increasing log indexes and a controllable clock.</summary>
internal sealed class Driver(StateMachine machine)
{
    public Driver(StoreLimits? limits = null)
        : this(new StateMachine(limits))
    {
    }

    public StateMachine Machine { get; } = machine;

    public long Index { get; private set; } = machine.View.AppliedIndex;

    public long NowMs { get; set; } = 1_000_000;

    public StoreView View => Machine.View;

    /// <summary>Applies the commands as one batch and returns their results.</summary>
    public IReadOnlyList<CommandResult> Batch(params Command[] commands) => Machine.Apply(new CommandBatch(NowMs, commands), ++Index);

    /// <summary>Applies one command as its own batch.</summary>
    public CommandResult Run(Command command) => Batch(command)[0];

    public static PutCommand Put(string key, string value, string keyspace = KeyspaceConfig.DefaultName) =>
        new(keyspace, System.Text.Encoding.UTF8.GetBytes(key), System.Text.Encoding.UTF8.GetBytes(value));

    public static byte[] B(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    /// <summary>Events from <paramref name="fromRevision"/>, rendered "rev:key=value" ("rev:key!" for a tombstone).</summary>
    public static List<string> History(StateMachine machine, long fromRevision)
    {
        var events = new List<WatchEvent>();
        Assert.True(machine.History.TryRead(fromRevision, int.MaxValue, events, out _));
        return events.Select(e => e.Current.IsTombstone
            ? $"{e.Revision}:{System.Text.Encoding.UTF8.GetString(e.Key)}!"
            : $"{e.Revision}:{System.Text.Encoding.UTF8.GetString(e.Key)}={System.Text.Encoding.UTF8.GetString(e.Current.Value!)}").ToList();
    }
}
