using Akka.Actor;
using AkkaByz.Core.Attacks;
using AkkaByz.Runtime.Faults;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Actors;

/// <summary>
/// A Byzantine worker. It registers and is addressed like any other worker (the aggregator cannot tell), and
/// sends its Update itself, so the sender identity is its own. Non-omniscient attacks (SF, LF, Gaussian, NaN, Inf)
/// craft from this worker's own honest computation (LF's computation runs on label-flipped data); omniscient ones
/// (ALIE, IPM, Mimic) ask the <see cref="Faults.AdversaryTapActor"/>, which answers once it has seen the round's honest vectors.
/// </summary>
public sealed class ByzantineWorkerActor : WorkerActorBase
{
    private readonly IAttack _attack;
    private readonly int _byzantineIndex;
    private readonly int _m;
    private readonly int _f;
    private readonly int _seed;
    private readonly WorkerComputation? _computation;
    private readonly IActorRef? _tap;

    public ByzantineWorkerActor(int workerIndex, string name, IActorRef aggregator, WorkerFaults faults, IAttack attack,
        int byzantineIndex, int m, int f, int seed, WorkerComputation? computation, IActorRef? tap)
        : base(workerIndex, name, aggregator, faults)
    {
        _attack = attack;
        _byzantineIndex = byzantineIndex;
        _m = m;
        _f = f;
        _seed = seed;
        _computation = computation;
        _tap = tap;
        if (attack.NeedsHonestVectors && tap is null)
            throw new ArgumentException($"Attack '{attack.Name}' is omniscient and needs the adversary tap.", nameof(tap));
        if (!attack.NeedsHonestVectors && computation is null)
            throw new ArgumentException($"Attack '{attack.Name}' crafts from its own update and needs a computation.", nameof(computation));
    }

    /// <param name="computation">This worker's own computation (on transformed labels for data attacks); null for omniscient attacks.</param>
    public static Props Props(int workerIndex, string name, IActorRef aggregator, WorkerFaults faults, IAttack attack,
        int byzantineIndex, int m, int f, int seed, WorkerComputation? computation, IActorRef? tap) =>
        Akka.Actor.Props.Create(() => new ByzantineWorkerActor(workerIndex, name, aggregator, faults, attack, byzantineIndex, m, f, seed, computation, tap));

    private AttackContext MakeContext(long round, ReadOnlyMemory<float> own, IReadOnlyList<float[]> honest) =>
        new(round, _m, _f, _byzantineIndex, own, honest, Seeds.DeriveInt(_seed, Seeds.Attack, round, _byzantineIndex));

    protected override void StartRound(long round, float[] x)
    {
        if (_attack.NeedsHonestVectors)
        {
            Link.Tell(_tap!, new CraftRequest(round, _byzantineIndex), Self);
            return;
        }
        var computation = _computation!;
        var attack = _attack;
        var task = ComputeScheduler.Run(() =>
        {
            var (own, loss) = computation.Compute(round, x);
            var crafted = new float[own.Length];
            attack.Craft(MakeContext(round, own, []), crafted);
            return (crafted, loss);
        });
        Running = task;
        task.PipeTo(Self, success: r => new RoundResult(round, r.crafted, r.loss), failure: e => new RoundFailed(round, e));
    }

    protected override void BusyHandlers()
    {
        Receive<CraftedVector>(c => !Equals(Sender, _tap) && !Security.IsAggregator(Sender), c => Security.RefuseMessage(c, Sender, "not-from-adversary-tap"));
        Receive<CraftedVector>(c => c.Round == CurrentRound, c => Finish(c.Round, c.Vector.Length == 0 ? null : c.Vector, double.NaN));
    }

    protected override void PostStop()
    {
        if (_computation is null) return;
        var computation = _computation;
        if (Running is { IsCompleted: false } running) running.ContinueWith(_ => computation.Dispose(), TaskScheduler.Default);
        else computation.Dispose();
    }
}
