using System.Diagnostics;
using Akka.Actor;
using AkkaByz.Runtime.Faults;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Actors;

/// <summary>
/// An honest worker: owns its <see cref="WorkerComputation"/> (shard schedule, optimizer state, a share of the model pool)
/// and computes its update off the mailbox (Task + PipeTo on the bounded <see cref="ComputeScheduler"/>), except
/// when its last computation took under <see cref="ComputeScheduler.InlineBelow"/> (tiny models): then inline. When an omniscient adversary is simulated it also
/// copies its update to the adversary tap (the rushing adversary sees honest vectors before answering).
/// </summary>
public sealed class WorkerActor : WorkerActorBase
{
    private readonly WorkerComputation _computation;
    private readonly IActorRef? _tap;
    private long _lastTicks = long.MaxValue;

    public WorkerActor(int workerIndex, string name, IActorRef aggregator, WorkerComputation computation, WorkerFaults faults, IActorRef? tap)
        : base(workerIndex, name, aggregator, faults)
    {
        _computation = computation;
        _tap = tap;
    }

    public static Props Props(int workerIndex, string name, IActorRef aggregator, WorkerComputation computation, WorkerFaults faults, IActorRef? tap = null) =>
        Akka.Actor.Props.Create(() => new WorkerActor(workerIndex, name, aggregator, computation, faults, tap));

    protected override void PreStart()
    {
        base.PreStart();
        if (_tap is not null) Link.Tell(_tap, new RegisterWorker(WorkerIndex, WorkerName), Self);
    }

    protected override void StartRound(long round, float[] x)
    {
        var computation = _computation;
        if (ComputeScheduler.IsTiny(Volatile.Read(ref _lastTicks)))
        {
            // A computation this small costs less than the hand-off to the pool and back: run it here.
            (float[] Update, double Loss) result;
            var start = Stopwatch.GetTimestamp();
            try
            {
                result = computation.Compute(round, x);
            }
            catch (Exception e)
            {
                Self.Tell(new RoundFailed(round, e));
                return;
            }
            _lastTicks = Stopwatch.GetTimestamp() - start;
            Finish(round, result.Update, result.Loss);
            return;
        }
        // The round's gradient calls (µ²-SGD: at x_t and at x_(t-1), each on a rented model instance) run as separate tasks so
        // that a node's workers spread evenly over its cores; the optimizer then combines them (bit-identical to Compute).
        var begin = Stopwatch.GetTimestamp();
        ReadOnlySpan<WorkerComputation.GradientJob> jobs;
        try
        {
            jobs = computation.Prepare(round, x);
        }
        catch (Exception e)
        {
            Self.Tell(new RoundFailed(round, e));
            return;
        }
        (float[] Update, double Loss) Complete()
        {
            var r = computation.Complete(round, x);
            Volatile.Write(ref _lastTicks, Stopwatch.GetTimestamp() - begin); // read after the piped message
            return r;
        }
        Task<(float[] Update, double Loss)> task;
        if (jobs.Length <= 1)
        {
            var job = jobs.Length == 1 ? jobs[0] : null;
            task = ComputeScheduler.Run(() =>
            {
                job?.Run();
                return Complete();
            });
        }
        else
        {
            task = ComputeScheduler.WhenAll(WorkerComputation.RunJobs(jobs), Complete);
        }
        Running = task;
        task.PipeTo(Self,
            success: r => new RoundResult(round, r.Update, r.Loss),
            failure: e => new RoundFailed(round, e));
    }

    protected override void BeforeSend(long round, float[] vector)
    {
        if (_tap is not null) Link.Tell(_tap, new HonestCopy(round, vector), Self);
    }

    protected override void PostStop()
    {
        // Never dispose the model under a computation still running (stop during a round, system shutdown).
        DisposeWhenIdle(_computation, Running);
    }

    /// <summary>Disposes once the round's task has finished.</summary>
    private static void DisposeWhenIdle(WorkerComputation computation, Task? running)
    {
        if (running is { IsCompleted: false }) running.ContinueWith(_ => computation.Dispose(), TaskScheduler.Default);
        else computation.Dispose();
    }
}
