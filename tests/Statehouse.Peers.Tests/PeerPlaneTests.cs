using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Statehouse.Peers.V1;
using Statehouse.Raft;
using Statehouse.Replication;
using Statehouse.Tests.Shared;

namespace Statehouse.Peers.Tests;

/// <summary>Three nodes, each a replica host on files behind a real gRPC peer listener on 127.0.0.1.</summary>
public sealed class PeerPlaneTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "statehouse-peers-" + Guid.NewGuid().ToString("N"));
    private readonly List<PeerNode> _nodes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    /// <summary>One state machine: the commands applied, readable from any thread.</summary>
    private sealed class Applied : IGroupStateMachine
    {
        private readonly List<string> _commands = [];

        public string[] Commands
        {
            get
            {
                lock (_commands)
                {
                    return [.. _commands];
                }
            }
        }

        public void Apply(Entry entry)
        {
            if (entry.Kind == EntryKind.Command)
            {
                lock (_commands)
                {
                    _commands.Add(Encoding.UTF8.GetString(entry.Data.Span));
                }
            }
        }

        public void Restore(SnapshotMeta snapshot, Stream data)
        {
            using var reader = new StreamReader(data);
            var text = reader.ReadToEnd();
            lock (_commands)
            {
                _commands.Clear();
                _commands.AddRange(text.Length == 0 ? [] : text.Split('\n'));
            }
        }

        public IStateCapture Capture() => new Frozen(string.Join('\n', Commands));

        private sealed class Frozen(string text) : IStateCapture
        {
            public void WriteTo(Stream destination) => destination.Write(Encoding.UTF8.GetBytes(text));
        }
    }

    private sealed class PeerNode(NodeId id, string directory) : IAsyncDisposable
    {
        public NodeId Id { get; } = id;

        public PeerDirectory Directory { get; } = new() { Self = id };

        public Dictionary<GroupId, Applied> Machines { get; } = [];

        public HostRuntime Runtime { get; private set; } = null!;

        public GrpcPeerTransport Transport { get; private set; } = null!;

        public Uri Address { get; private set; } = null!;

        private WebApplication? _app;
        private FileReplicaStore? _store;

        public async Task StartAsync(int port = 0)
        {
            _store = FileReplicaStore.Open(new FileReplicaStoreOptions { Directory = directory, SegmentSizeBytes = 1 << 20, PreallocateSegments = false });
            Transport = new GrpcPeerTransport(Directory, new PeerTransportOptions { ReconnectDelay = TimeSpan.FromMilliseconds(20) });
            Runtime = new HostRuntime(new HostRuntimeOptions { TickInterval = TimeSpan.FromMilliseconds(10), Host = new HostOptions { SnapshotEveryEntries = 40 } },
                _store, Transport, d =>
                {
                    lock (Machines)
                    {
                        return Machines[d.Group] = new Applied();
                    }
                });
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(2));
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
            builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 64 << 20);
            builder.Services.AddSingleton(Runtime);
            builder.Services.AddSingleton(Directory);
            _app = builder.Build();
            _app.MapGrpcService<PeerReplicationService>();
            await _app.StartAsync();
            var bound = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            Address = new Uri(bound);
            Runtime.Start();
        }

        public Applied? Machine(GroupId group)
        {
            lock (Machines)
            {
                return Machines.GetValueOrDefault(group);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_app is null)
            {
                return;
            }

            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
            await Runtime.DisposeAsync();
            await Transport.DisposeAsync();
            _store?.Dispose();
        }
    }

    private static Task Until(Func<Task<bool>> condition, string what, int seconds = 30) => Eventually.Until(condition, what, seconds);

    private async Task<List<PeerNode>> StartClusterAsync(params GroupId[] groups)
    {
        var ids = new[] { new NodeId(1), new NodeId(2), new NodeId(3) };
        foreach (var id in ids)
        {
            var node = new PeerNode(id, Path.Combine(_root, $"n{id.Value}"));
            await node.StartAsync();
            _nodes.Add(node);
        }

        foreach (var node in _nodes)
        {
            foreach (var other in _nodes.Where(o => o != node))
            {
                node.Directory.SetNode(other.Id, other.Address);
            }

            foreach (var group in groups)
            {
                await node.Runtime.InvokeAsync(host =>
                {
                    host.CreateGroup(new GroupDescriptor(group, node.Id, new Configuration(ids)));
                    return true;
                });
            }
        }

        return _nodes;
    }

    private static async Task<PeerNode> LeaderOf(IEnumerable<PeerNode> nodes, GroupId group)
    {
        PeerNode? leader = null;
        await Until(async () =>
        {
            foreach (var node in nodes)
            {
                if (await node.Runtime.InvokeAsync(host => host.Status(group)?.Role) == RaftRole.Leader)
                {
                    leader = node;
                    return true;
                }
            }

            return false;
        }, $"{group} has a leader");
        return leader!;
    }

    [Fact]
    public async Task ThreeNodes_OverTheGrpcPeerPlane_ReplicateManyGroups_AndARestartedNodeCatchesUp()
    {
        var groups = new[] { new GroupId(1), new GroupId(2), new GroupId(3), new GroupId(4) };
        var nodes = await StartClusterAsync(groups);
        foreach (var group in groups)
        {
            var leader = await LeaderOf(nodes, group);
            var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => leader.Runtime.ProposeAsync(group, Encoding.UTF8.GetBytes($"{group}-{i}"))));
            Assert.All(results, r => Assert.True(r.Accepted, r.ToString()));
        }

        foreach (var group in groups)
        {
            await Until(() => Task.FromResult(nodes.All(n => n.Machine(group)?.Commands.Length == 100)), $"{group} applied everywhere");
        }

        // Node 3 stops; the others write on; node 3 comes back on the same port and catches up (by snapshot or log).
        var third = nodes[2];
        var port = third.Address.Port;
        await third.DisposeAsync();
        _nodes.Remove(third);
        foreach (var group in groups)
        {
            var leader = await LeaderOf(nodes.Take(2), group);
            var results = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => leader.Runtime.ProposeAsync(group, Encoding.UTF8.GetBytes($"{group}-late-{i}"))));
            Assert.All(results, r => Assert.True(r.Accepted, r.ToString()));
        }

        var back = new PeerNode(third.Id, Path.Combine(_root, "n3"));
        await back.StartAsync(port);
        _nodes.Add(back);
        foreach (var other in _nodes.Where(o => o != back))
        {
            back.Directory.SetNode(other.Id, other.Address);
        }

        foreach (var group in groups)
        {
            await Until(() => Task.FromResult(back.Machine(group)?.Commands.Length == 160), $"the restarted node caught up on {group}");
            Assert.Equal(nodes[0].Machine(group)!.Commands, back.Machine(group)!.Commands);
        }
    }

    [Fact]
    public async Task ARogueCaller_IsRefused_AndMalformedOrForgedMessagesNeverReachTheHost()
    {
        var group = new GroupId(1);
        var nodes = await StartClusterAsync(group);
        var target = nodes[0];
        using var channel = GrpcChannel.ForAddress(target.Address);
        var client = new V1.Replication.ReplicationClient(channel);

        // No node id, or a node the cluster does not know: refused before anything is read.
        foreach (var headers in new[] { new Metadata(), new Metadata { { GrpcPeerTransport.NodeHeader, "99" } }, new Metadata { { GrpcPeerTransport.NodeHeader, "1" } } })
        {
            using var call = client.Deliver(headers);
            var error = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                await call.RequestStream.WriteAsync(new MessageBatch());
                await call.RequestStream.CompleteAsync();
                await call.ResponseAsync;
            });
            Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        }

        // A known node (2) sending: a vote forged as from node 3's member, a message with a bad kind, entries out of
        // order, and a heartbeat of a huge term for a member elsewhere: all refused, the term of node 1 unchanged.
        var before = await target.Runtime.InvokeAsync(host => host.Status(group)!.Term);
        using (var call = client.Deliver(new Metadata { { GrpcPeerTransport.NodeHeader, "2" } }))
        {
            var batch = new MessageBatch();
            batch.Messages.Add(new RaftMessage { Kind = (uint)MessageKind.Vote, Group = 1, From = 3, To = 1, Term = 1_000 });
            batch.Messages.Add(new RaftMessage { Kind = 200, Group = 1, From = 2, To = 1, Term = 1_000 });
            var disorder = new RaftMessage { Kind = (uint)MessageKind.Append, Group = 1, From = 2, To = 1, Term = 1_000, Index = 5 };
            disorder.Entries.Add(new RaftEntry { Index = 9, Term = 1, Kind = 1, Data = ByteString.CopyFromUtf8("x") });
            batch.Messages.Add(disorder);
            batch.Messages.Add(new RaftMessage { Kind = (uint)MessageKind.Heartbeat, Group = 1, From = 2, To = 3, Term = 1_000 });
            await call.RequestStream.WriteAsync(batch);
            await call.RequestStream.CompleteAsync();
            var summary = await call.ResponseAsync;
            Assert.Equal((0UL, 4UL), (summary.Accepted, summary.Refused));
        }

        var after = await target.Runtime.InvokeAsync(host => host.Status(group)!.Term);
        Assert.True(after < new Term(1_000), $"term {before} became {after}");
    }

    [Fact]
    public void TheCodec_RoundTripsEveryField()
    {
        var snapshot = new SnapshotMeta(new LogIndex(40), new Term(3), new Configuration([new NodeId(1), new NodeId(2)], [new NodeId(7)]), 1234, 99);
        var messages = new[]
        {
            new Message { Kind = MessageKind.Append, Group = new GroupId(5), From = new NodeId(1), To = new NodeId(2), Term = new Term(4), LogTerm = new Term(3), Index = new LogIndex(10), Commit = new LogIndex(9),
                Entries = [new Entry(new LogIndex(11), new Term(4), EntryKind.Command, "a"u8.ToArray()), new Entry(new LogIndex(12), new Term(4), EntryKind.Empty, default)] },
            new Message { Kind = MessageKind.AppendResponse, Group = new GroupId(5), From = new NodeId(2), To = new NodeId(1), Term = new Term(4), Reject = true, RejectHint = new LogIndex(7), LogTerm = new Term(2), Index = new LogIndex(10) },
            new Message { Kind = MessageKind.Snapshot, Group = new GroupId(5), From = new NodeId(1), To = new NodeId(2), Term = new Term(4), Snapshot = snapshot, SnapshotOffset = 1000, SnapshotData = new byte[234], SnapshotDone = true },
            new Message { Kind = MessageKind.Vote, Group = new GroupId(5), From = new NodeId(1), To = new NodeId(2), Term = new Term(4), LeaderTransfer = true, Context = 77 },
        };
        foreach (var message in messages)
        {
            var wire = RaftMessage.Parser.ParseFrom(RaftMessageCodec.Encode(message).ToByteArray());
            var decoded = RaftMessageCodec.TryDecode(wire, out var problem);
            Assert.Null(problem);
            Assert.Equal(message.ToString(), decoded!.ToString());
            Assert.Equal(message.Entries.Select(e => (e.Index, e.Term, e.Kind, Convert.ToHexString(e.Data.Span))), decoded.Entries.Select(e => (e.Index, e.Term, e.Kind, Convert.ToHexString(e.Data.Span))));
            Assert.Equal(message.Snapshot, decoded.Snapshot);
            Assert.Equal(message.SnapshotData.Length, decoded.SnapshotData.Length);
            Assert.Equal((message.Commit, message.Reject, message.RejectHint, message.Context, message.LeaderTransfer, message.SnapshotDone),
                (decoded.Commit, decoded.Reject, decoded.RejectHint, decoded.Context, decoded.LeaderTransfer, decoded.SnapshotDone));
        }
    }

    public static TheoryData<string> Malformed => ["short last chunk", "tiny snapshot", "snapshot of a later term", "terms going down", "bad membership change", "overflowing offset"];

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TheCodec_RefusesWhatACoreOrTheStoreWouldChokeOn(string kind)
    {
        var snapshot = new SnapshotDescription { Index = 10, Term = 2, Configuration = ByteString.CopyFrom(new Configuration([new NodeId(1)]).Encode()), SizeBytes = 100, Checksum = 1 };
        var wire = new RaftMessage { Kind = (uint)MessageKind.Snapshot, Group = 1, From = 2, To = 1, Term = 3, Snapshot = snapshot };
        switch (kind)
        {
            case "short last chunk":
                wire.SnapshotOffset = 0;
                wire.SnapshotData = ByteString.CopyFrom(new byte[10]);
                wire.SnapshotDone = true;
                break;
            case "tiny snapshot":
                snapshot.SizeBytes = 2;
                break;
            case "snapshot of a later term":
                snapshot.Term = 9;
                break;
            case "overflowing offset":
                wire.SnapshotOffset = long.MaxValue - 2;
                wire.SnapshotData = ByteString.CopyFrom(new byte[10]);
                break;
            default:
                wire = new RaftMessage { Kind = (uint)MessageKind.Append, Group = 1, From = 2, To = 1, Term = 3, Index = 4, LogTerm = 2 };
                wire.Entries.Add(new RaftEntry { Index = 5, Term = kind == "terms going down" ? 1UL : 3UL, Kind = kind == "terms going down" ? 1u : 2u, Data = ByteString.CopyFrom(1, 2, 3) });
                break;
        }

        Assert.Null(RaftMessageCodec.TryDecode(wire, out var problem));
        Assert.NotNull(problem);
    }
}
