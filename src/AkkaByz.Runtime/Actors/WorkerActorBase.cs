using Akka.Actor;
using Akka.Event;
using AkkaByz.Runtime.Faults;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Security;
using AkkaByz.Runtime.Transport;

namespace AkkaByz.Runtime.Actors;

/// <summary>
/// What every worker does regardless of its role: registers with the aggregator (and watches it), receives
/// Params, crashes when its fault plan says so, keeps its mailbox responsive while its update is being produced
/// (Params arriving meanwhile are stashed), holds replies back when it straggles, and sends through its
/// (possibly faulty) link. Subclasses produce the vector of a round: <see cref="WorkerActor"/> honestly,
/// <see cref="ByzantineWorkerActor"/> per its attack.
/// </summary>
public abstract class WorkerActorBase : ReceiveActor, IWithTimers, IWithStash
{
    private const string StraggleTimer = "straggle";

    protected readonly ILoggingAdapter Log = Context.GetLogger();
    /// <summary>How this worker's vector messages leave (a plain Tell locally; see <see cref="VectorTransport"/>).</summary>
    protected VectorTransport Link { get; } = VectorTransport.Get(Context.System);

    /// <summary>Who may speak for the aggregator (local actors; in a cluster, the certificate-checked aggregator nodes).</summary>
    protected NodeSecurity Security { get; } = NodeSecurity.Get(Context.System);

    /// <summary>Largest round number a worker accepts (far beyond any run; bounds the arithmetic on round numbers).</summary>
    public const long MaxRound = 1L << 40;
    private long _busyRound;
    private long _heldRound;
    private IActorRef? _updateTarget;

    protected WorkerActorBase(int workerIndex, string name, IActorRef aggregator, WorkerFaults faults)
    {
        WorkerIndex = workerIndex;
        WorkerName = name;
        Aggregator = aggregator;
        Faults = faults;
        Behaviour();
    }

    public ITimerScheduler Timers { get; set; } = null!;
    public IStash Stash { get; set; } = null!;

    /// <summary>The task producing the current (or last) round's vector, if any.</summary>
    protected Task? Running { get; set; }

    /// <summary>The round being produced (0 when idle).</summary>
    protected long CurrentRound => _busyRound;

    protected int WorkerIndex { get; }
    protected string WorkerName { get; }
    protected IActorRef Aggregator { get; }

    /// <summary>
    /// Where updates go: the aggregator actor that accepted the registration (its reply's sender), or
    /// <see cref="Aggregator"/> before that. In cluster mode <see cref="Aggregator"/> is the local singleton proxy;
    /// sending to the aggregator itself lets a large update take the vector transport instead of the proxy's hop.
    /// </summary>
    private IActorRef UpdateTarget => _updateTarget ?? Aggregator;
    protected WorkerFaults Faults { get; }

    protected override void PreStart()
    {
        Context.Watch(Aggregator);
        Link.Tell(Aggregator, new RegisterWorker(WorkerIndex, WorkerName), Self);
    }

    /// <summary>
    /// Starts producing the vector of <paramref name="round"/>; must end in <see cref="Finish"/> (on the actor thread)
    /// or in a <see cref="RoundResult"/> / <see cref="RoundFailed"/> message to Self.
    /// </summary>
    protected abstract void StartRound(long round, float[] x);

    /// <summary>Called once per produced vector, before the straggler delay and the link faults.</summary>
    protected virtual void BeforeSend(long round, float[] vector) { }

    /// <summary>Extra messages handled while a round is being produced (e.g. the adversary tap's answer); registered once,
    /// so they must check <see cref="CurrentRound"/> themselves (0 when idle).</summary>
    protected virtual void BusyHandlers() { }

    /// <summary>
    /// True when the current message comes from the aggregator: from an aggregator identity (or a local actor), and —
    /// once registered — from the very aggregator actor that accepted this worker. Otherwise it is refused and counted.
    /// </summary>
    private bool FromAggregator(object message)
    {
        if (Security.IsAggregator(Sender) && (_updateTarget is null || Sender.Equals(_updateTarget) || message is WorkerRegistered or RegistrationRejected)) return true;
        Security.RefuseMessage(message, Sender, "not-from-aggregator");
        return false;
    }

    private void Common()
    {
        Receive<WorkerRegistered>(r => !FromAggregator(r), _ => { });
        Receive<RegistrationRejected>(r => !FromAggregator(r), _ => { });
        Receive<TrainingFinished>(r => !FromAggregator(r), _ => { });
        Receive<Params>(p => !FromAggregator(p), _ => { });
        Receive<Params>(p => p.Round < 1 || p.Round > MaxRound || p.X.Length == 0, p =>
            Security.RefuseMessage(p, Sender, $"round-out-of-range"));
        Receive<WorkerRegistered>(r =>
        {
            Log.Debug("Worker {0} registered as slot {1} (d = {2})", WorkerName, r.WorkerIndex, r.Dimension);
            if (!Sender.IsNobody()) _updateTarget = Sender;
        });
        Receive<RegistrationRejected>(r =>
        {
            Log.Warning("Worker {0}: registration refused: {1}. Stopping.", WorkerName, r.Reason);
            Context.Stop(Self);
        });
        Receive<TrainingFinished>(f =>
        {
            Log.Debug("Worker {0}: training finished after {1} rounds ({2}).", WorkerName, f.Rounds, f.Reason);
            Context.Stop(Self);
        });
        Receive<Terminated>(t => t.ActorRef.Equals(Aggregator), _ =>
        {
            Log.Info("Worker {0}: the aggregator is gone; stopping.", WorkerName);
            Context.Stop(Self);
        });
        Receive<Release>(r =>
        {
            if (r.Round == _heldRound) _heldRound = 0;
            Faults.Send(Link, UpdateTarget, Self, r.Round, r.Vector, r.Loss);
        });
    }

    /// <summary>
    /// One set of handlers for both states (idle, producing a round's vector): the state is <see cref="_busyRound"/>, not
    /// a <c>Become</c>. ReceiveActor rebuilds its handler table on every Become, and a worker changes state twice per
    /// round; for a small model that rebuilding cost more than the round's arithmetic.
    /// </summary>
    private void Behaviour()
    {
        Common();
        Receive<Params>(p =>
        {
            if (_busyRound == 0) OnParams(p);
            else if (p.Round > _busyRound) Stash.Stash(); // a later round while this one is produced
        });
        Receive<RoundResult>(r => _busyRound != 0 && r.Round == _busyRound, r => Finish(r.Round, r.Vector, r.Loss));
        Receive<RoundFailed>(r => _busyRound != 0 && r.Round == _busyRound, r =>
        {
            Log.Error(r.Error, "Worker {0} failed to produce its update for round {1}: {2}. Stopping (counts as a crash).", WorkerName, r.Round, r.Error.Message);
            Context.Stop(Self);
        });
        BusyHandlers();
    }

    private void OnParams(Params p)
    {
        if (p.Round == _heldRound) return; // already computed, held back by the straggler delay
        if (p.Round <= Faults.LastRound)
        {
            // A re-published round (its barrier closed short): resend the cached update, never recompute.
            if (!Faults.Resend(Link, UpdateTarget, Self, p.Round))
                Log.Debug("Worker {0}: ignoring Params of old round {1}.", WorkerName, p.Round);
            return;
        }
        if (Faults.ShouldCrash(p.Round))
        {
            Log.Warning("Worker {0} crashes at round {1} (fault injection).", WorkerName, p.Round);
            Context.Stop(Self);
            return;
        }
        _busyRound = p.Round;
        StartRound(p.Round, p.X);
    }

    /// <summary>Called (on the actor thread) with the vector of the current round; null = stay silent this round.</summary>
    protected void Finish(long round, float[]? vector, double loss)
    {
        _busyRound = 0;
        Stash.UnstashAll();
        if (vector is null) return;
        BeforeSend(round, vector);
        if (Faults.Delay > TimeSpan.Zero)
        {
            _heldRound = round;
            Timers.StartSingleTimer(StraggleTimer + round, new Release(round, vector, loss), Faults.Delay);
        }
        else
        {
            Faults.Send(Link, UpdateTarget, Self, round, vector, loss);
        }
    }

    /// <summary>Piped to Self when a round's vector is ready (local only).</summary>
    protected sealed record RoundResult(long Round, float[]? Vector, double Loss) : INoSerializationVerificationNeeded;

    /// <summary>Piped to Self when producing a round's vector threw (local only).</summary>
    protected sealed record RoundFailed(long Round, Exception Error) : INoSerializationVerificationNeeded;

    /// <summary>Straggler timer: send the held update now (local only).</summary>
    private sealed record Release(long Round, float[] Vector, double Loss) : INoSerializationVerificationNeeded;
}
