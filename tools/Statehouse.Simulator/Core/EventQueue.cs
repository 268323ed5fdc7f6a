namespace Statehouse.Simulator.Core;

/// <summary>
/// The run's single queue of pending events, ordered by (simulated time in µs, sequence number): events at the same
/// time run in the order they were scheduled, so a run is a pure function of its seed.
/// </summary>
internal sealed class EventQueue
{
    private readonly PriorityQueue<SimEvent, (long TimeUs, long Sequence)> _queue = new();
    private readonly int _capacity;
    private long _sequence;

    /// <param name="capacity">Events pending at once before the run is declared runaway (a simulator bug).</param>
    public EventQueue(int capacity) => _capacity = capacity;

    /// <summary>Simulated time of the event being processed.</summary>
    public long NowUs { get; private set; }

    /// <summary>Events processed so far.</summary>
    public long Processed { get; private set; }

    /// <summary>Events pending.</summary>
    public int Count => _queue.Count;

    /// <summary>Schedules <paramref name="simEvent"/> at <paramref name="atUs"/> (never in the past).</summary>
    public void Schedule(long atUs, SimEvent simEvent)
    {
        SimulatorAssert.That(atUs >= NowUs, "an event is scheduled in the past");
        SimulatorAssert.That(_queue.Count < _capacity, "the event queue overflowed");
        _queue.Enqueue(simEvent, (atUs, _sequence++));
    }

    /// <summary>Takes the next event if it is due at or before <paramref name="untilUs"/>, and moves time to it.</summary>
    public bool TryNext(long untilUs, out SimEvent simEvent)
    {
        if (!_queue.TryPeek(out var next, out var key) || key.TimeUs > untilUs)
        {
            simEvent = null!;
            return false;
        }

        _queue.Dequeue();
        SimulatorAssert.That(key.TimeUs >= NowUs, "time went backwards");
        NowUs = key.TimeUs;
        Processed++;
        simEvent = next;
        return true;
    }

    /// <summary>Moves time forward to <paramref name="us"/> when nothing is due before it.</summary>
    public void AdvanceTo(long us)
    {
        SimulatorAssert.That(us >= NowUs, "time went backwards");
        NowUs = us;
    }
}
