using Akka.Actor;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Transport;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Faults;

/// <summary>
/// The faults injected into one worker (honest or Byzantine): when it crashes, how long it straggles, and what
/// its link does to its updates. Crashes are deterministic from (seed, worker, round). Message faults send an
/// extra invalid message next to the real update (or drop it): validation must reject every extra message, so a
/// run with only wrong-length/nan/replay/duplicate faults ends with the same parameters as a run without them.
/// </summary>
public sealed class WorkerFaults
{
    private readonly int _worker;
    private readonly int _seed;
    private readonly IReadOnlyList<long> _crashRounds;
    private readonly double _crashRate;
    private readonly IReadOnlyList<MessageFault> _faults;
    private long _previousRound;
    private float[]? _previousVector;
    private double _previousLoss;

    public WorkerFaults(int worker, int seed, IEnumerable<long> crashRounds, double crashRate, TimeSpan delay, IEnumerable<MessageFault> messageFaults)
    {
        _worker = worker;
        _seed = seed;
        _crashRounds = crashRounds.ToArray();
        _crashRate = crashRate;
        Delay = delay;
        _faults = messageFaults.Where(m => m.Worker == worker).ToArray();
    }

    /// <summary>No faults at all.</summary>
    public static WorkerFaults None(int worker) => new(worker, 0, [], 0, TimeSpan.Zero, []);

    /// <summary>This worker's faults from the run settings.</summary>
    public static WorkerFaults From(AkkaByzSettings settings, int worker)
    {
        var f = settings.Faults;
        var delay = f.Stragglers.Where(s => s.Worker == worker).Select(s => s.Delay).DefaultIfEmpty(TimeSpan.Zero).Max();
        return new WorkerFaults(worker, settings.Seed, f.Crashes.Where(c => c.Worker == worker).Select(c => c.Round), f.CrashRate, delay, f.Messages);
    }

    /// <summary>How long this worker holds each reply back (zero = not a straggler).</summary>
    public TimeSpan Delay { get; }

    /// <summary>True when this worker crashes on receiving Params of <paramref name="round"/>.</summary>
    public bool ShouldCrash(long round) =>
        _crashRounds.Contains(round) || (_crashRate > 0 && Seeds.Uniform(_seed, Seeds.Crash, _worker, round) < _crashRate);

    /// <summary>Sends round <paramref name="round"/>'s update to <paramref name="aggregator"/> through this worker's faulty link.</summary>
    public void Send(VectorTransport link, IActorRef aggregator, IActorRef self, long round, float[] vector, double loss)
    {
        if (_faults.Count == 0)
        {
            // The usual link: the update and nothing else (no per-round fault filtering).
            link.Tell(aggregator, new Update(round, vector, loss), self);
            _previousRound = round;
            _previousVector = vector;
            _previousLoss = loss;
            return;
        }
        var active = _faults.Where(f => f.AppliesTo(round)).ToArray();
        if (!active.Any(f => f.Kind == MessageFaultKind.Drop))
            link.Tell(aggregator, new Update(round, vector, loss), self);
        // The invalid extras follow the real update (a malformed update would otherwise count as this worker's answer).
        foreach (var fault in active)
        {
            switch (fault.Kind)
            {
                case MessageFaultKind.Duplicate:
                    link.Tell(aggregator, new Update(round, vector, loss), self);
                    break;
                case MessageFaultKind.WrongLength:
                    link.Tell(aggregator, new Update(round, vector[..Math.Max(0, vector.Length - 1)], loss), self);
                    break;
                case MessageFaultKind.NaN:
                {
                    var poisoned = (float[])vector.Clone();
                    if (poisoned.Length > 0) poisoned[poisoned.Length / 2] = float.NaN;
                    link.Tell(aggregator, new Update(round, poisoned, loss), self);
                    break;
                }
                case MessageFaultKind.Replay:
                    if (_previousVector is not null)
                        link.Tell(aggregator, new Update(_previousRound, _previousVector, _previousLoss), self);
                    break;
            }
        }
        _previousRound = round;
        _previousVector = vector;
        _previousLoss = loss;
    }

    /// <summary>
    /// Re-sends the cached update of <paramref name="round"/> when the aggregator re-publishes a round whose barrier
    /// closed short (no new computation: the optimizer state advances once per round). A dropping link stays silent.
    /// </summary>
    public bool Resend(VectorTransport link, IActorRef aggregator, IActorRef self, long round)
    {
        if (_previousVector is null || _previousRound != round) return false;
        if (_faults.Any(f => f.Kind == MessageFaultKind.Drop && f.AppliesTo(round))) return true;
        link.Tell(aggregator, new Update(round, _previousVector, _previousLoss), self);
        return true;
    }

    /// <summary>The round of the last update sent (0 before the first).</summary>
    public long LastRound => _previousVector is null ? 0 : _previousRound;
}
