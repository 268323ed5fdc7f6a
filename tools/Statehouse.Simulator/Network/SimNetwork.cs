using Statehouse.Raft;
using Statehouse.Simulator.Core;
using Statehouse.Simulator.Running;
using Statehouse.Simulator.Workloads;

namespace Statehouse.Simulator.Network;

/// <summary>
/// The simulated network between nodes: each message gets its own delay (so messages reorder), may be dropped or
/// delivered twice, and is lost if its link is cut when it would arrive. Links are directed, so partitions can be
/// asymmetric; overlapping partitions nest (a link is cut while any fault cuts it). Clients reach every node over
/// their own links, which partitions do not cut (a leader cut off from its peers still hears its clients).
/// </summary>
internal sealed class SimNetwork
{
    private readonly RunConfig _config;
    private readonly EventQueue _queue;
    private readonly Random _random;
    private readonly Random _clientRandom;
    private readonly int[,] _cuts;
    private int _duplicateBursts;
    private int _delaySpikes;

    public SimNetwork(RunConfig config, EventQueue queue)
    {
        _config = config;
        _queue = queue;
        _random = Seeds.Stream(config.Seed, StreamKind.Network);
        _clientRandom = Seeds.Stream(config.Seed, StreamKind.ClientNetwork);
        _cuts = new int[config.Nodes, config.Nodes];
    }

    public long MessagesSent { get; private set; }

    public long MessagesDropped { get; private set; }

    public long MessagesDuplicated { get; private set; }

    /// <summary>Whether the link from <paramref name="from"/> to <paramref name="to"/> is cut now.</summary>
    public bool IsCut(int from, int to) => from != to && _cuts[from, to] > 0;

    /// <summary>Cuts the link (one more fault holds it cut).</summary>
    public void Cut(int from, int to)
    {
        if (from != to)
        {
            _cuts[from, to]++;
        }
    }

    /// <summary>A fault that cut the link ends.</summary>
    public void Restore(int from, int to)
    {
        if (from == to)
        {
            return;
        }

        SimulatorAssert.That(_cuts[from, to] > 0, "a link was restored that no fault cut");
        _cuts[from, to]--;
    }

    /// <summary>Whether any link is cut.</summary>
    public bool AnyCut()
    {
        foreach (var count in _cuts)
        {
            if (count > 0)
            {
                return true;
            }
        }

        return false;
    }

    public void BeginDuplicateBurst() => _duplicateBursts++;

    public void EndDuplicateBurst() => _duplicateBursts--;

    public void BeginDelaySpike() => _delaySpikes++;

    public void EndDelaySpike() => _delaySpikes--;

    /// <summary>Sends a Raft message from node <paramref name="from"/> to node <paramref name="to"/>.</summary>
    public void Send(Message message, int from, int to)
    {
        MessagesSent++;
        if (IsCut(from, to) || _random.Next(1000) < _config.DropPermille)
        {
            MessagesDropped++;
            return;
        }

        var now = _queue.NowUs;
        _queue.Schedule(now + Delay(), new MessageArrives(message, from, to));
        var duplicatePermille = _duplicateBursts > 0 ? 600 : _config.DuplicatePermille;
        if (_random.Next(1000) < duplicatePermille)
        {
            MessagesDuplicated++;
            _queue.Schedule(now + Delay(), new MessageArrives(message, from, to));
        }
    }

    /// <summary>Sends a client's request to a node.</summary>
    public void SendRequest(ClientRequest request, int to)
    {
        if (_clientRandom.Next(1000) < _config.DropPermille / 2)
        {
            return;
        }

        _queue.Schedule(_queue.NowUs + ClientDelay(), new RequestArrives(request, to));
    }

    /// <summary>Sends a node's answer to its client.</summary>
    public void SendReply(ClientReply reply)
    {
        if (_clientRandom.Next(1000) < _config.DropPermille / 2)
        {
            return;
        }

        _queue.Schedule(_queue.NowUs + ClientDelay(), new ReplyArrives(reply));
    }

    private long Delay()
    {
        var delay = _random.Next(1000) < _config.SlowMessagePermille
            ? _config.DelayMinUs + _random.NextInt64(_config.SlowMessageMaxUs)
            : _config.DelayMinUs + _random.NextInt64(_config.DelayMaxUs - _config.DelayMinUs + 1);
        return _delaySpikes > 0 ? delay * 10 : delay;
    }

    private long ClientDelay() => _config.DelayMinUs + _clientRandom.NextInt64(_config.DelayMaxUs - _config.DelayMinUs + 1);
}
