using System.Text;
using Statehouse.Core.Codecs;
using Statehouse.Core.Model;
using Statehouse.Core.Store;

namespace Statehouse.Cluster.Tests.Raft;

/// <summary>Payloads and snapshot bodies as the node produces them (command batches, <see cref="StateMachine"/> snapshots).</summary>
internal static class SnapshotBodies
{
    /// <summary>A command batch putting <c>k{i}</c> = <c>v{i}</c> (distinct per <paramref name="i"/>).</summary>
    public static byte[] Payload(int i) =>
        CommandCodec.Encode(new CommandBatch(1_000 + i, [new PutCommand("default", Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes($"v{i}"))]));

    /// <summary>
    /// The snapshot body of a state machine that applied <see cref="Payload"/>(1..<paramref name="index"/>) at indexes
    /// 1..<paramref name="index"/>, and that state.
    /// </summary>
    public static (byte[] Body, StoreView State) Build(long index)
    {
        var machine = new StateMachine();
        for (var i = 1; i <= index; i++)
        {
            machine.Apply(CommandCodec.Decode(Payload(i)), i);
        }

        using var body = new MemoryStream();
        StateMachine.WriteSnapshot(machine.View, body, CancellationToken.None);
        return (body.ToArray(), machine.View);
    }
}
