using Akka.Actor;
using Akka.Cluster;
using AkkaByz.Runtime.Actors;
using AkkaByz.Runtime.Checkpointing;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Faults;
using AkkaByz.Runtime.Security;
using AkkaByz.Runtime.Training;
using AkkaByz.Runtime.Transport;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// <c>/user/node</c> on a worker node. Every join-interval it sends <see cref="JoinRun"/> to the coordinator on the
/// oldest Up aggregator node (where the cluster singleton lives; the message goes through the vector transport, so
/// in mode = mtls it travels on the certificate-checked carrier). Assignments, refusals and the end of the run are
/// taken only from aggregator identities (<see cref="NodeSecurity.IsAggregator"/>); others are refused and counted. On a
/// <see cref="RunAssignment"/> it composes the run from the received config (its own <c>--data</c> path, if given,
/// overriding where the data is read from), checks d and the frame size, and starts the unchanged
/// <see cref="WorkerActor"/> (or <see cref="ByzantineWorkerActor"/> for a Byzantine slot) for its slot, talking to the
/// proxy. An assignment from a new coordinator incarnation (a standby took over) replaces that worker with a fresh one
/// (fresh optimizer state, same slot and shard); <see cref="RunFinished"/> ends the process.
/// With a checkpoint database configured on this node (<see cref="CheckpointTarget.ForWorker"/>), the optimizer states
/// recorded at checkpoint rounds are also written to it (<see cref="WorkerStateStore"/>, off the compute thread), and
/// a restarted node whose memory lacks the state of the round the aggregator resumes from reads it back from there.
/// </summary>
public sealed class WorkerNodeActor : ReceiveActor, IWithTimers
{
    private readonly NodeSecurity _security = NodeSecurity.Get(Context.System);
    private readonly VectorTransport _link = VectorTransport.Get(Context.System);
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private (Address Node, IActorRef Coordinator)? _located;
    private IActorRef _aggregator = ActorRefs.Nobody;
    private readonly string? _localData;
    private readonly string _name;
    private readonly ClusterNodeSettings _node;
    private readonly TaskCompletionSource<int> _exit;
    private readonly TextWriter? _out;
    private readonly Dictionary<string, Task<RunComponents>> _composed = [];
    private readonly Dictionary<(string Run, int Slot), WorkerStateLog> _stateLogs = [];
    private string _incarnation = "";
    private int _index = -1;
    private int _generation;
    private IActorRef? _worker;
    private string? _lastRefusal;
    private WorkerStateStore? _stateStore;

    public WorkerNodeActor(string? localData, string name, ClusterNodeSettings node, TaskCompletionSource<int> exit, TextWriter? output)
    {
        _localData = localData;
        _name = name;
        _node = node;
        _exit = exit;
        _out = output;

        Receive<Tick>(_ =>
        {
            if (Coordinator() is { } coordinator) _link.Tell(coordinator, new JoinRun(_name, _index, _worker is null ? "" : _incarnation), Self);
        });
        Receive<IAkkaByzClusterMessage>(m => m is RunAssignment or JoinRefused or RunFinished && !_security.IsAggregator(Sender),
            m => _security.RefuseMessage(m, Sender, "not-from-aggregator"));
        Receive<RunAssignment>(OnAssignment);
        Receive<Composed>(OnComposed);
        Receive<StateLoaded>(OnStateLoaded);
        Receive<JoinRefused>(r =>
        {
            if (r.Reason != _lastRefusal) Print($"not admitted yet: {r.Reason}");
            _lastRefusal = r.Reason;
        });
        Receive<RunFinished>(f =>
        {
            if (_exit.TrySetResult(f.Completed ? 0 : 3)) Print($"the run is over ({f.Reason}); leaving");
        });
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_worker)) return;
            Management.NodeHealth.Get(Context.System).WorkerSlot = -1; // /ready: not ready until assigned again
            _worker = null; // the next Tick asks again (a fresh incarnation, a retry after a refused registration, or the end)
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string? localData, string name, ClusterNodeSettings node, TaskCompletionSource<int> exit, TextWriter? output) =>
        Akka.Actor.Props.Create(() => new WorkerNodeActor(localData, name, node, exit, output));

    /// <summary>
    /// The coordinator singleton's reference on the oldest Up aggregator node (the node ClusterSingletonManager runs it
    /// on), or null while there is none. During a hand-over the message may reach a node that does not host it yet;
    /// the next tick asks again.
    /// </summary>
    private IActorRef? Coordinator()
    {
        Member? oldest = null;
        foreach (var m in _cluster.State.Members)
        {
            if (m.Status != MemberStatus.Up || !m.HasRole("aggregator")) continue;
            // The cluster role is self-declared in gossip; a node whose certificate proved another role is skipped.
            if (_security.Bindings.TryGetValue(m.Address, out var identity) && !identity.IsAggregator) continue;
            if (oldest is null || m.IsOlderThan(oldest)) oldest = m;
        }
        if (oldest is null) return null;
        if (_located is { } l && l.Node.Equals(oldest.Address)) return l.Coordinator;
        var path = (new RootActorPath(oldest.Address) / "user" / "aggregator" / "coordinator").ToString();
        var coordinator = ((ExtendedActorSystem)Context.System).Provider.ResolveActorRef(path);
        _located = (oldest.Address, coordinator);
        return coordinator;
    }

    protected override void PreStart()
    {
        if (CheckpointTarget.ForWorker(_node) is { } db)
            _stateStore = new WorkerStateStore(Context.System, db, _node.CheckpointKey, _name, CheckpointTarget.OperationTimeout, m => Print($"warning: {m}"));
        Timers.StartPeriodicTimer("join", Tick.Instance, TimeSpan.Zero, _node.JoinInterval);
    }

    protected override void PostStop()
    {
        // The states still queued are written before the node goes: a restarted node reads them back. Bounded
        // (WorkerStateStore.CloseTimeout, then a warning saying how many were given up on); the snapshot-store plugin
        // lives under /system, which stops only after /user (this actor) has.
        if (_stateStore is { } store) store.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private void OnAssignment(RunAssignment a)
    {
        if (a.Incarnation == _incarnation && a.WorkerIndex == _index && _worker is not null) return;
        if (a.Dimension < 1 || a.WorkerIndex < 0 || a.ResumeRound < 0 || a.SnapshotEvery < 0)
        {
            _security.RefuseMessage(a, Sender, "malformed");
            return;
        }
        _aggregator = Sender;
        if (_worker is not null)
        {
            Print($"aggregator {a.Incarnation} took over from {_incarnation}: restarting the worker of slot {a.WorkerIndex}");
            Context.Unwatch(_worker);
            Context.Stop(_worker);
            _worker = null;
        }
        _incarnation = a.Incarnation;
        _index = a.WorkerIndex;
        var generation = ++_generation;
        var key = string.Join("\u0001", a.ConfigLayers);
        if (!_composed.TryGetValue(key, out var task))
        {
            var layers = a.ConfigLayers;
            var data = _localData;
            _composed[key] = task = Task.Run(() => RunComposer.Compose(RunConfiguration.FromLayers(layers).Settings(data)));
        }
        task.PipeTo(Self, success: c => new Composed(generation, a, c, null), failure: e => new Composed(generation, a, null, e));
    }

    private void OnComposed(Composed c)
    {
        if (c.Generation != _generation) return;
        if (c.Error is not null || c.Components is null)
        {
            var error = c.Error is AggregateException { InnerException: { } inner } ? inner : c.Error;
            Print($"error: cannot compose the run on this node: {error?.Message}");
            _exit.TrySetResult(2);
            return;
        }
        var components = c.Components;
        var settings = components.Settings;
        var i = c.Assignment.WorkerIndex;
        try
        {
            if (components.Dimension != c.Assignment.Dimension)
                throw new SettingsException($"this node's model has d = {components.Dimension}, the aggregator's d = {c.Assignment.Dimension} (different data or model on this node?).");
            _node.CheckVectorFits(components.Dimension, settings.Model);
            _link.ExpectedDimension = components.Dimension; // any other vector size is refused before allocation
            if (i < 0 || i >= components.Shards.Count)
                throw new SettingsException($"slot {i} is outside the run's {components.Shards.Count} shards.");
        }
        catch (SettingsException e)
        {
            Print($"error: {e.Message}");
            _exit.TrySetResult(2);
            return;
        }

        IActorRef? tap = null;
        if (c.Assignment.TapPath.Length > 0)
        {
            try
            {
                tap = ((ExtendedActorSystem)Context.System).Provider.ResolveActorRef(c.Assignment.TapPath);
            }
            catch (Exception e)
            {
                Print($"error: the aggregator's adversary tap path '{c.Assignment.TapPath}' does not resolve: {e.Message}");
                _exit.TrySetResult(2);
                return;
            }
        }
        // The slot as the run plan assigns it (honest or Byzantine, data, computation, attack): the same as in a local run.
        var plan = RunPlan.For(components);
        var computation = plan.CreateComputation(i);
        var resumed = computation is not null ? Resume(c.Assignment, computation) : "";
        if (resumed is null)
        {
            // Not in memory (a restarted node): read this worker's own state of that round back from the database.
            var a = c.Assignment;
            _stateStore!.LoadAsync(WorkerStateSnapshot.IdentityOf(a.ConfigLayers), i, a.ResumeRound).PipeTo(Self,
                success: s => new StateLoaded(c, plan, computation!, tap, s, null), failure: e => new StateLoaded(c, plan, computation!, tap, null, e));
            return;
        }
        Start(c, plan, computation, tap, resumed);
    }

    private void OnStateLoaded(StateLoaded l)
    {
        if (l.Composed.Generation != _generation) return;
        var a = l.Composed.Assignment;
        string resumed;
        if (l.Snapshot is { } snapshot)
        {
            _stateLogs[(string.Join("\u0001", a.ConfigLayers), a.WorkerIndex)].Restored(a.ResumeRound, snapshot.State);
            l.Computation.Restore(snapshot.State);
            resumed = $"; resuming from its own optimizer state of round {a.ResumeRound} (read back from {_stateStore!.Database.Location})";
        }
        else if (l.Error is not null)
        {
            var error = l.Error is AggregateException { InnerException: { } inner } ? inner : l.Error;
            Print($"warning: {error.Message}; not applied");
            resumed = $"; its optimizer state of round {a.ResumeRound} could not be used: its momentum restarts";
        }
        else resumed = $"; no optimizer state of round {a.ResumeRound} on this node or in {_stateStore!.Database.Location}: its momentum restarts";
        Start(l.Composed, l.Plan, l.Computation, l.Tap, resumed);
    }

    private void Start(Composed c, RunPlan plan, WorkerComputation? computation, IActorRef? tap, string resumed)
    {
        var components = c.Components!;
        var settings = components.Settings;
        var i = c.Assignment.WorkerIndex;
        var byzantine = plan.Slots[i].IsByzantine;
        var name = $"{_name}/slot-{i}";
        var props = Hosting.WorkerProps.For(plan, i, name, _aggregator, computation, tap);
        _worker = Context.ActorOf(props, $"worker-{i}-{c.Generation}");
        Context.Watch(_worker);
        Management.NodeHealth.Get(Context.System).WorkerSlot = i; // /ready from now on
        Print($"slot {i} of {settings.Workers} (aggregator {c.Assignment.Incarnation}): model {settings.Model}, d = {components.Dimension}, " +
              $"shard of {components.Shards[i].Length} examples{(byzantine ? $", Byzantine ({settings.Attack})" : "")}{resumed}; actor {_worker.Path.ToStringWithoutAddress()}");
    }

    /// <summary>
    /// Attaches the slot's state log (states recorded at the aggregator's checkpoint rounds) and, when the assignment
    /// comes from an aggregator that restored checkpoint R, continues from this worker's own state at R: the run
    /// then goes on exactly as if the old aggregator had not failed. Returns the note for the slot's line, or null
    /// when the state is not in memory but may be in this node's checkpoint database (read it first).
    /// </summary>
    private string? Resume(RunAssignment a, WorkerComputation computation)
    {
        if (a.SnapshotEvery <= 0) return "";
        var key = (string.Join("\u0001", a.ConfigLayers), a.WorkerIndex);
        if (!_stateLogs.TryGetValue(key, out var log) || log.Every != a.SnapshotEvery)
            _stateLogs[key] = log = new WorkerStateLog(a.SnapshotEvery);
        computation.StateLog = log;
        if (_stateStore is { } store)
        {
            var (run, slot, every) = (WorkerStateSnapshot.IdentityOf(a.ConfigLayers), a.WorkerIndex, a.SnapshotEvery);
            log.Recorded = (round, state) => store.Post(run, slot, round, every, state);
        }
        if (a.ResumeRound <= 0) return "";
        if (log.TryGet(a.ResumeRound, out var state))
        {
            computation.Restore(state);
            return $"; resuming from its own optimizer state of round {a.ResumeRound}";
        }
        if (_stateStore is not null) return null;
        return $"; no optimizer state of round {a.ResumeRound} on this node (held: [{string.Join(", ", log.Rounds)}]): its momentum restarts";
    }

    private void Print(string line) => _out?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {line}");

    private sealed record Tick : INoSerializationVerificationNeeded
    {
        public static readonly Tick Instance = new();
    }

    private sealed record StateLoaded(Composed Composed, RunPlan Plan, WorkerComputation Computation, IActorRef? Tap, WorkerStateSnapshot? Snapshot, Exception? Error)
        : INoSerializationVerificationNeeded;

    private sealed record Composed(int Generation, RunAssignment Assignment, RunComponents? Components, Exception? Error) : INoSerializationVerificationNeeded;
}
