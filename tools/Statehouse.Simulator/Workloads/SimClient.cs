using Statehouse.Checking;
using Statehouse.Raft;
using Statehouse.Simulator.Core;
using Statehouse.Simulator.Hosts;

namespace Statehouse.Simulator.Workloads;

/// <summary>
/// One client of one group, running one operation at a time: the register workload (unique writes, compare-and-set,
/// reads through ReadIndex — lease reads when the run has them) or the bank workload (transfers, reads of every
/// balance). It sends to the node it believes leads, follows NotLeader hints (nothing was appended, so resending is
/// safe), and gives up after a timeout: a write then has an unknown outcome and is never retried.
/// </summary>
internal sealed class SimClient
{
    private readonly IClientWorld _world;
    private readonly Random _random;
    private readonly Dictionary<string, string?> _lastSeen = new(StringComparer.Ordinal);
    private long _nextOpId;
    private int _target;
    private Pending? _pending;

    public SimClient(IClientWorld world, int id, GroupId group, bool bank, bool readOnly = false)
    {
        IsReadOnly = readOnly;
        _world = world;
        Id = id;
        Group = group;
        IsBank = bank;
        _random = Seeds.Stream(world.Config.Seed, StreamKind.Client, (ulong)id);
        _target = _random.Next(world.Config.Nodes);
    }

    public int Id { get; }

    public GroupId Group { get; }

    public bool IsBank { get; }

    /// <summary>A register client that only reads.</summary>
    public bool IsReadOnly { get; }

    /// <summary>A client event: resend after a redirect's pause, or start the next operation.</summary>
    public void OnWake()
    {
        if (_pending is { RetryDue: true })
        {
            _pending.RetryDue = false;
            SendAttempt();
            return;
        }

        StartNext();
    }

    private void StartNext()
    {
        if (_pending is not null || _world.WorkloadsStopped)
        {
            return;
        }

        var request = IsBank ? NextBankOp() : NextRegisterOp();
        _pending = new Pending(request, _world.NowUs);
        _world.Schedule(_world.NowUs + _world.Config.ClientTimeoutUs, new ClientTimesOut(Id, request.OpId));
        SendAttempt();
    }

    /// <summary>A node answered (maybe an older attempt: ignored).</summary>
    public void OnReply(ClientReply reply)
    {
        if (_pending is not { } pending || reply.OpId != pending.Request.OpId || reply.Attempt != pending.Attempt || !pending.Outstanding)
        {
            return;
        }

        pending.Outstanding = false;
        switch (reply.Status)
        {
            case ReplyStatus.Ok:
                Complete(pending, reply);
                break;
            case ReplyStatus.Failed:
                // The entry was replaced by another leader's: the operation never took effect, so it is not history.
                _world.History.Failed++;
                Done();
                break;
            default:
                // NotLeader or Busy: nothing was appended; try the hinted leader (or another node) after a short pause.
                _world.History.Redirects++;
                _target = reply.LeaderNode >= 0 && reply.LeaderNode != pending.SentTo ? reply.LeaderNode : OtherNode(pending.SentTo);
                _world.Schedule(_world.NowUs + 500 + _random.Next(3_000), new ClientWakes(Id));
                pending.RetryDue = true;
                break;
        }
    }

    /// <summary>The operation's time is up.</summary>
    public void OnTimeout(long opId)
    {
        if (_pending is not { } pending || pending.Request.OpId != opId)
        {
            return;
        }

        // A write whose last attempt got no answer may have taken effect (or still may): unknown. A write whose every
        // attempt was refused did not. A read without an answer tells nothing.
        if (pending.Outstanding && pending.Request.IsWrite)
        {
            _world.History.Unknown++;
            Record(pending, returnedUs: long.MaxValue, unknown: true, reply: null);
        }

        _target = OtherNode(pending.SentTo);
        Done();
    }

    private void SendAttempt()
    {
        var pending = _pending!;
        pending.Attempt++;
        pending.Outstanding = true;
        var node = !pending.Request.IsWrite && _random.Next(100) < _world.Config.FollowerReadPercent ? _random.Next(_world.Config.Nodes) : _target;
        pending.SentTo = node;
        _world.Send(pending.Request with { Attempt = pending.Attempt }, node);
    }

    private void Complete(Pending pending, ClientReply reply)
    {
        _world.History.Completed++;
        _target = reply.LeaderNode >= 0 && pending.Request.IsWrite ? reply.LeaderNode : _target;
        Record(pending, _world.NowUs, unknown: false, reply);
        Done();
    }

    private void Record(Pending pending, long returnedUs, bool unknown, ClientReply? reply)
    {
        var request = pending.Request;
        var invokedNs = pending.InvokedUs * 1000;
        var returnedNs = returnedUs == long.MaxValue ? long.MaxValue : returnedUs * 1000;
        switch (request.Kind)
        {
            case ClientOpKind.ReadBalances:
                if (reply?.Balances is { } balances)
                {
                    _world.History.AddBankRead(Group.Value, balances, returnedUs);
                }

                return;
            case ClientOpKind.Transfer:
                return;
            case ClientOpKind.Read:
                _lastSeen[request.Key] = reply!.ReadValue;
                _world.History.Registers.Add(new KvOperation(Id, request.Key, OpKind.Read, null, null, invokedNs, returnedNs, false, reply.ReadValue));
                return;
            case ClientOpKind.Write:
                _lastSeen[request.Key] = request.Value;
                _world.History.Registers.Add(new KvOperation(Id, request.Key, OpKind.Write, request.Value, null, invokedNs, returnedNs, unknown));
                return;
            case ClientOpKind.CompareAndSet:
                var swapped = !unknown && reply!.Swapped;
                if (swapped)
                {
                    _lastSeen[request.Key] = request.Value;
                }

                _world.History.Registers.Add(new KvOperation(Id, request.Key, OpKind.CompareAndSet, request.Value, request.Expected, invokedNs, returnedNs, unknown, Succeeded: swapped));
                return;
        }
    }

    private void Done()
    {
        _pending = null;
        var config = _world.Config;
        _world.Schedule(_world.NowUs + config.ThinkMinUs + _random.NextInt64(config.ThinkMaxUs - config.ThinkMinUs + 1), new ClientWakes(Id));
    }

    private int OtherNode(int node)
    {
        var nodes = _world.Config.Nodes;
        return nodes == 1 ? node : (node + 1 + _random.Next(nodes - 1)) % nodes;
    }

    private ClientRequest NextRegisterOp()
    {
        var key = $"g{Group.Value}/k{_random.Next(_world.Config.Keys)}";
        var op = ++_nextOpId;
        var value = $"c{Id}-{op}";
        var roll = IsReadOnly ? 100 : _random.Next(100);
        if (roll < 35)
        {
            return new ClientRequest(Id, op, 0, Group, ClientOpKind.Write, key, value, null, null, 0);
        }

        if (roll < 55)
        {
            return new ClientRequest(Id, op, 0, Group, ClientOpKind.CompareAndSet, key, value, _lastSeen.GetValueOrDefault(key), null, 0);
        }

        return new ClientRequest(Id, op, 0, Group, ClientOpKind.Read, key, null, null, null, 0);
    }

    private ClientRequest NextBankOp()
    {
        var op = ++_nextOpId;
        var accounts = _world.Config.Accounts;
        if (_random.Next(100) < 40)
        {
            return new ClientRequest(Id, op, 0, Group, ClientOpKind.ReadBalances, string.Empty, null, null, null, 0);
        }

        var from = _random.Next(accounts);
        var to = (from + 1 + _random.Next(accounts - 1)) % accounts;
        return new ClientRequest(Id, op, 0, Group, ClientOpKind.Transfer, GroupStateMachine.AccountName(from), null, null, GroupStateMachine.AccountName(to), 1 + _random.Next(40));
    }

    private sealed class Pending(ClientRequest request, long invokedUs)
    {
        public ClientRequest Request { get; } = request;

        public long InvokedUs { get; } = invokedUs;

        public int Attempt { get; set; }

        public bool Outstanding { get; set; }

        public bool RetryDue { get; set; }

        public int SentTo { get; set; }
    }
}
