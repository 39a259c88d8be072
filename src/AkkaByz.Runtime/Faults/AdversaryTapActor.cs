using Akka.Actor;
using Akka.Event;
using AkkaByz.Core.Attacks;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Training;
using AkkaByz.Runtime.Transport;

namespace AkkaByz.Runtime.Faults;

/// <summary>
/// The simulated omniscient (rushing) adversary, outside the aggregator. Honest workers register with it (it
/// watches them) and copy it their update of each round; Byzantine workers ask it for their vector. Once it holds
/// the vectors of every live honest worker for the round — or its timeout has fired and it holds at least one, so an
/// absent honest worker can never block the barrier — it crafts with the attack over the honest vectors (ordered by
/// worker index, so runs repeat) and answers each Byzantine worker, which then sends the Update itself. On a loaded
/// machine the timeout can fire before any honest worker has finished; the tap then answers with the first honest
/// vector that arrives rather than with nothing (which would leave the round short of updates). An attack whose
/// vector is the same for every Byzantine worker (<see cref="IAttack.SameVectorForEveryByzantine"/>: IPM, ALIE,
/// Mimic, MinMax, MinSum, Opt-IPM, Opt-ALIE) is crafted once per round and each worker gets a copy.
/// </summary>
public sealed class AdversaryTapActor : ReceiveActor, IWithTimers
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly VectorTransport _link = VectorTransport.Get(Context.System);
    private readonly Security.NodeSecurity _security = Security.NodeSecurity.Get(Context.System);
    private readonly IAttack _attack;
    private readonly int _m;
    private readonly int _f;
    private readonly int _seed;
    private readonly TimeSpan _timeout;
    private readonly Dictionary<IActorRef, int> _honest = [];
    private readonly SortedDictionary<long, RoundState> _rounds = [];

    public AdversaryTapActor(IAttack attack, int m, int f, int seed, TimeSpan timeout)
    {
        _attack = attack;
        _m = m;
        _f = f;
        _seed = seed;
        _timeout = timeout;

        // Only worker nodes take part in the simulated attack (in mtls mode: certificate-checked worker identities).
        Receive<IAkkaByzMessage>(m => m is RegisterWorker or HonestCopy or CraftRequest && !_security.IsWorker(Sender),
            m => _security.RefuseMessage(m, Sender, "not-from-worker"));
        Receive<RegisterWorker>(r =>
        {
            _honest[Sender] = r.WorkerIndex;
            Context.Watch(Sender);
        });
        Receive<Terminated>(t =>
        {
            if (!_honest.Remove(t.ActorRef)) return;
            foreach (var round in _rounds.Keys.ToArray()) TryAnswer(round, timedOut: false);
        });
        Receive<HonestCopy>(h =>
        {
            if (!_honest.TryGetValue(Sender, out var index) || Forgotten(h.Round)) return;
            var state = State(h.Round);
            if (state.Answered is not null) return; // too late for this round
            state.Vectors[index] = h.Vector;
            TryAnswer(h.Round, timedOut: false);
        });
        Receive<CraftRequest>(c =>
        {
            if (Forgotten(c.Round))
            {
                _link.Tell(Sender, new CraftedVector(c.Round, []), Self); // far behind: stay silent rather than wait forever
                return;
            }
            var state = State(c.Round);
            if (state.Answered is not null)
            {
                Answer(c.Round, state, Sender, c.ByzantineIndex);
                return;
            }
            state.Requests.Add((Sender, c.ByzantineIndex));
            if (!state.TimerStarted)
            {
                state.TimerStarted = true; // once per round (the key is the round's; a timer never restarts after its answer)
                Timers.StartSingleTimer(TimerKey(c.Round), new TapTimeout(c.Round), _timeout);
            }
            TryAnswer(c.Round, timedOut: false);
        });
        Receive<TapTimeout>(t =>
        {
            if (_rounds.TryGetValue(t.Round, out var state)) state.TimedOut = true;
            TryAnswer(t.Round, timedOut: true);
        });
    }

    public static Props Props(IAttack attack, int m, int f, int seed, TimeSpan timeout) =>
        Akka.Actor.Props.Create(() => new AdversaryTapActor(attack, m, f, seed, timeout));

    public ITimerScheduler Timers { get; set; } = null!;

    private static string TimerKey(long round) => "tap-" + round;

    private const int RoundsKept = 4;

    /// <summary>True for a round older than every round still kept.</summary>
    private bool Forgotten(long round) => _rounds.Count >= RoundsKept && round < _rounds.Keys.First();

    private RoundState State(long round)
    {
        if (!_rounds.TryGetValue(round, out var state))
        {
            state = new RoundState();
            _rounds[round] = state;
            // Forget rounds well behind the newest one.
            while (_rounds.Count > RoundsKept) _rounds.Remove(_rounds.Keys.First());
        }
        return state;
    }

    private void TryAnswer(long round, bool timedOut)
    {
        if (!_rounds.TryGetValue(round, out var state) || state.Answered is not null || state.Requests.Count == 0) return;
        var complete = _honest.Values.All(state.Vectors.ContainsKey);
        timedOut |= state.TimedOut;
        if (!complete && !timedOut) return;
        if (!complete && state.Vectors.Count == 0 && _honest.Count > 0) return; // answer with the first honest vector
        if (!complete)
            _log.Warning("Adversary tap: round {0} timed out with {1} of {2} honest vectors.", round, state.Vectors.Count, _honest.Count);
        Timers.Cancel(TimerKey(round));
        state.Answered = state.Vectors.Values.ToArray(); // SortedDictionary: ordered by worker index
        foreach (var (requester, byzantineIndex) in state.Requests) Answer(round, state, requester, byzantineIndex);
        state.Requests.Clear();
    }

    private void Answer(long round, RoundState state, IActorRef requester, int byzantineIndex)
    {
        var honest = state.Answered!;
        if (honest.Length == 0)
        {
            _link.Tell(requester, new CraftedVector(round, []), Self);
            return;
        }
        float[] crafted;
        if (_attack.SameVectorForEveryByzantine && state.Crafted is { } shared)
            crafted = shared.Length == 0 ? [] : (float[])shared.Clone(); // one craft per round (Opt-IPM aggregates 20 times); a copy per worker
        else
        {
            crafted = new float[honest[0].Length];
            try
            {
                _attack.Craft(new AttackContext(round, _m, _f, byzantineIndex, ReadOnlyMemory<float>.Empty, honest,
                    Seeds.DeriveInt(_seed, Seeds.Attack, round, byzantineIndex)), crafted);
            }
            catch (Exception e)
            {
                _log.Error(e, "Adversary tap: attack '{0}' failed in round {1}: {2}", _attack.Name, round, e.Message);
                crafted = [];
            }
            if (_attack.SameVectorForEveryByzantine) state.Crafted = (float[])crafted.Clone();
        }
        _link.Tell(requester, new CraftedVector(round, crafted), Self);
    }

    private sealed class RoundState
    {
        public SortedDictionary<int, float[]> Vectors { get; } = [];
        public List<(IActorRef Requester, int ByzantineIndex)> Requests { get; } = [];
        public float[][]? Answered { get; set; }
        public float[]? Crafted { get; set; }
        public bool TimedOut { get; set; }
        public bool TimerStarted { get; set; }
    }

    private sealed record TapTimeout(long Round) : INoSerializationVerificationNeeded;
}
