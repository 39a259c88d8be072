using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Actors;
using AkkaByz.Runtime.Checkpointing;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Faults;
using AkkaByz.Runtime.Hosting;
using AkkaByz.Runtime.Metrics;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Security;
using AkkaByz.Runtime.Transport;
using AkkaByz.Core.Models;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// The cluster singleton on the nodes with role <c>aggregator</c> (ClusterSingletonManager runs it on the oldest
/// such node; when that node leaves or is downed, the next oldest starts a new incarnation). It owns one run:
/// decides whether it starts a new run or continues one (a checkpoint written by an aggregator node this node saw in
/// its cluster — a take-over — or <c>--resume</c>; a completed run's checkpoint never blocks a new run, an interrupted
/// one is continued only when asked: see <see cref="RunResumption"/>), composes the run,
/// hands worker nodes their slot (shard index) and the run config (<see cref="JoinRun"/> → <see cref="RunAssignment"/>),
/// and hosts the unchanged <see cref="AggregatorActor"/> as a child, forwarding it the workers' registrations.
/// A slot is bound to the worker's principal — its certificate identity in mode = mtls (one slot per identity), the
/// node actor otherwise — and the aggregator admits a registration for a slot only from that principal. A freed slot
/// is kept for the stable identity that held it (the certificate identity, or a configured worker name without
/// certificates; recorded in each checkpoint) until someone else takes it, so a worker node restarted as a new process
/// gets back the slot its stored optimizer states belong to (<see cref="WorkerSlots"/>). Control
/// messages are taken only from those entitled to send them (<see cref="NodeSecurity"/>): joins from worker
/// identities, the run's result only from the child aggregator.
/// It waits for all m workers (saying who is missing every wait-report-interval) unless min-workers allows fewer at
/// the start timeout. Every checkpoint-interval rounds it saves a checkpoint atomically, once metrics.csv holds that
/// round (so a resumed run's history has every round up to it); at the end it evaluates, writes summary.json (with
/// the counters of the whole run and the worker slots that took part),
/// parameters.bin and cluster.json, marks the checkpoint completed and tells every node the run is over.
/// </summary>
public sealed class AggregatorCoordinator : ReceiveActor, IWithUnboundedStash
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ClusterNodeSettings _node;
    private readonly IReadOnlyList<string> _ownLayers;
    private readonly string? _localData;
    private readonly TextWriter? _out;
    private readonly string _incarnation = Guid.NewGuid().ToString("N")[..12];
    private WorkerSlots? _slots; // made when the run's m is known
    private readonly NodeSecurity _security = NodeSecurity.Get(Context.System);
    private readonly VectorTransport _link = VectorTransport.Get(Context.System);
    private readonly Stopwatch _setupClock = Stopwatch.StartNew();
    private IReadOnlyList<string> _layers = [];
    private AkkaByzSettings? _settings;
    private RunComponents? _components;
    private ICheckpointStore? _store;
    private Task _saving = Task.CompletedTask; // the checkpoint write in flight (one at a time)
    private bool _saveInFlight;
    private Checkpoint? _restoring; // the checkpoint being restored, between its load and the composition
    private bool _takeOver;
    private string _newOutDir = "";
    private readonly RuleStateHolder _ruleState = new(); // the rule's cross-round state, checkpointed with the round
    private IServerOptimizer? _server;
    private IActorRef? _aggregator;
    private IActorRef? _evaluator;
    private IActorRef? _metrics;
    private string? _outDir;
    private long _rounds;
    private long _restoredFrom;
    private RunFinished? _finished;
    private string _tapPath = "";
    private readonly AggregatorLineage _lineage = AggregatorLineage.Get(Context.System);
    private readonly SortedDictionary<int, Participant> _participants = [];
    private string _runId = Guid.NewGuid().ToString("N")[..16];
    private readonly Queue<Checkpoint> _pendingCheckpoints = new(); // captured, not yet written (in round order)
    private const int MaxPendingCheckpoints = 8; // a store slower than 8 checkpoint intervals: the oldest is skipped
    private long _checkpointsSkipped; // printed as the first few, then every 100th (RepeatedWarning)
    private long _lastRowWritten = -1;
    private bool _omniscient;
    private int _minToStart;
    private bool _ending;
    private IActorRef _self = ActorRefs.Nobody; // Self for the callbacks that run on other actors' threads
    private DateTime _startDeadline;

    public AggregatorCoordinator(ClusterNodeSettings node, IReadOnlyList<string> runLayers, string? localData, TextWriter? output)
    {
        _node = node;
        _ownLayers = runLayers;
        _localData = localData;
        _out = output;

        // Until the run is composed (checkpoint loaded, data and model built off this thread), everything else waits.
        Receive<CheckpointLoaded>(OnLoaded);
        Receive<RunComposed>(OnComposed);
        Receive<StartFailed>(f => FailStart(f.Cause));
        ReceiveAny(_ => Stash.Stash());
    }

    public IStash Stash { get; set; } = null!;

    /// <summary>The run's behaviour, once it is composed (or its start failed).</summary>
    private void Running()
    {
        // Worker messages only from worker identities (in mtls mode; any node otherwise).
        Receive<IAkkaByzMessage>(m => m is RegisterWorker or Update && !_security.IsWorker(Sender), m => _security.RefuseMessage(m, Sender, "not-from-worker"));
        Receive<JoinRun>(j => !_security.IsWorker(Sender), j => _security.RefuseMessage(j, Sender, "not-from-worker"));
        Receive<JoinRun>(OnJoin);
        Receive<RegisterWorker>(m => _aggregator?.Forward(m));
        Receive<Update>(m => _aggregator?.Forward(m));
        // The node's host on SIGTERM/SIGINT (local only): end the run after its last completed round, outputs written as usual.
        Receive<StopRun>(_ => Sender.Path.Address.HasLocalScope, s => _aggregator?.Tell(s));
        Receive<Terminated>(t =>
        {
            foreach (var slot in _slots?.Release(t.ActorRef) ?? [])
                Print($"worker node {t.ActorRef.Path.Address} left: slot {slot} is free");
        });
        // The run's result comes from the child aggregator only (remote ones are refused before they get here; this is the second lock).
        Receive<RunCompleted>(r => !Sender.Equals(_aggregator), r => _security.RefuseMessage(r, Sender, "not-from-the-run"));
        ReceiveAsync<RunCompleted>(OnCompleted);
        Receive<ClusterEvent.MemberRemoved>(r =>
        {
            // The node is gone; a node restarted at the same address is a new member: neither its identity binding nor
            // the old one's unreachability carries over.
            _security.Unbind(r.Member.Address);
            _aggregator?.Tell(new NodeReachability(r.Member.Address, true));
        });
        // Unreachable = absent this round (and on) for the workers of that node; Terminated (after downing) = removed.
        Receive<ClusterEvent.UnreachableMember>(u => _aggregator?.Tell(new NodeReachability(u.Member.Address, false)));
        Receive<ClusterEvent.ReachableMember>(r => _aggregator?.Tell(new NodeReachability(r.Member.Address, true)));
        Receive<EvaluationResult>(_ => { });
        Receive<Registrations>(OnRegistrations);
        Receive<PendingCheckpoint>(p =>
        {
            _pendingCheckpoints.Enqueue(p.Checkpoint);
            while (_pendingCheckpoints.Count > MaxPendingCheckpoints)
            {
                var skipped = _pendingCheckpoints.Dequeue();
                if (RepeatedWarning.ShouldLog(++_checkpointsSkipped))
                    Print($"warning: checkpoint of round {skipped.Round} skipped: the store is slower than the checkpoint interval [{RepeatedWarning.Note(_checkpointsSkipped)}]");
            }
            SavePending();
        });
        Receive<RowWritten>(r =>
        {
            _lastRowWritten = Math.Max(_lastRowWritten, r.Round);
            SavePending();
        });
        Receive<CheckpointSaved>(OnSaved);
    }

    public static Props Props(ClusterNodeSettings node, IReadOnlyList<string> runLayers, string? localData, TextWriter? output) =>
        Akka.Actor.Props.Create(() => new AggregatorCoordinator(node, runLayers, localData, output));

    protected override void PreStart()
    {
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember), typeof(ClusterEvent.MemberRemoved));
        _self = Self;
        try
        {
            BeginStart();
        }
        catch (Exception e)
        {
            FailStart(e);
        }
    }

    /// <summary>The run cannot start: one line, every node told, exit 2 (never a crash: the singleton's supervisor would restart it forever).</summary>
    private void FailStart(Exception e)
    {
        if (e is AggregateException { InnerException: { } inner }) e = inner;
        Print(e is SettingsException or InvalidDataException or IOException or ArgumentException
            ? $"error: {e.Message}"
            : $"error: the run could not start: {e.GetType().Name}: {e.Message}");
        Finish(new RunFinished(false, e.Message), exitCode: 2);
        Become(Running);
        Stash.UnstashAll();
    }

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    /// <summary>
    /// Step 1 (this thread, fast): the settings, the output folder and the checkpoint store; the store is probed and the
    /// checkpoint loaded off this thread (a database may be slow or unreachable) and piped back as <see cref="CheckpointLoaded"/>.
    /// </summary>
    private void BeginStart()
    {
        var own = AkkaByzSettings.Create(ClusterConfig.RunConfig(_ownLayers, _localData));
        var outDir = _newOutDir = own.Output.Directory.Length > 0
            ? own.Output.Directory
            : Path.Combine("runs", "cluster-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        if (!_node.CheckpointsEnabled && _node.Resume.Length > 0)
            throw new SettingsException("--resume: akkabyz-cluster.checkpoint-dir = off; resuming needs checkpoints.");
        var target = CheckpointTarget.Of(_node, outDir);
        var system = Context.System;
        Task.Run(async () =>
        {
            if (target is null) return new CheckpointLoaded(null, null);
            target.Probe(); // a bad connection string or an unreachable database: one line naming it, exit 2
            var store = target.Open(system);
            return new CheckpointLoaded(store, await store.LoadAsync().ConfigureAwait(false));
        }).PipeTo(Self, failure: e => new StartFailed(e));
    }

    /// <summary>
    /// Step 2 (this thread): new run or continued one (see the class summary), the run's folder; the composition (data,
    /// model, rule) runs off this thread and comes back as <see cref="RunComposed"/>.
    /// </summary>
    private void OnLoaded(CheckpointLoaded loaded)
    {
        try
        {
            _store = loaded.Store;
            if (Decide(loaded.Checkpoint) is not { } clear) return; // nothing to do (finished)
            var settings = _settings!;
            Task.Run(async () =>
            {
                await clear.ConfigureAwait(false);
                return new RunComposed(RunComposer.Compose(settings));
            }).PipeTo(Self, failure: e => new StartFailed(e));
        }
        catch (Exception e)
        {
            FailStart(e);
        }
    }

    /// <summary>Step 3 (this thread): the run's actors; then the stashed joins and registrations are let in.</summary>
    private void OnComposed(RunComposed composed)
    {
        try
        {
            Launch(composed.Components);
        }
        catch (Exception e)
        {
            FailStart(e);
            return;
        }
        Become(Running);
        Stash.UnstashAll();
    }

    /// <summary>Returns the clearing of a completed run's checkpoint to await before composing (or a completed task), or null when the run is already over.</summary>
    private Task? Decide(Checkpoint? checkpoint)
    {
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        var self = AggregatorLineage.KeyOf(cluster.SelfUniqueAddress);
        var own = AkkaByzSettings.Create(ClusterConfig.RunConfig(_ownLayers, _localData));
        var resume = _node.Resume.Length > 0;
        var outDir = _newOutDir;
        Task clear = Task.CompletedTask;
        var takeOver = checkpoint?.Run is { } info && info.WriterNode != self && _lineage.HasSeen(info.WriterNode);
        var gone = _lineage.Others(cluster.SelfUniqueAddress).Where(a => !cluster.State.Members.Any(m => m.Address.Equals(a))).ToArray();
        if (checkpoint is null)
        {
            if (resume) throw new SettingsException($"--resume {_node.Resume}: no checkpoint there ({_store!.Location} has none).");
            if (gone.Length > 0)
                Print($"taking over from aggregator {string.Join(", ", gone.Select(a => a.ToString()))}, but there is no checkpoint " +
                      (_store is null ? "(checkpoints are off)" : $"in {_store.Location}") + ": the run starts over from round 1 " +
                      "(give every aggregator node the same --out or --checkpoint-dir to continue from the last checkpoint instead)");
        }
        else if (checkpoint.Completed || checkpoint.Round >= checkpoint.TotalRounds)
        {
            if (takeOver)
            {
                Print($"the run was completed by the previous aggregator (checkpoint {_store!.Location}, round {checkpoint.Round}); nothing to do");
                Finish(new RunFinished(true, $"already completed ({checkpoint.Round} rounds, checkpoint {_store.Location})"), 0);
                Become(Running);
                Stash.UnstashAll();
                return null;
            }
            if (resume) throw new SettingsException($"--resume {_node.Resume}: that run is complete ({checkpoint.Round} rounds); nothing to resume.");
            Print($"{_store!.Location} holds the checkpoint of a completed run ({checkpoint.Round} rounds); this new run replaces it");
            clear = _store.ClearAsync();
            checkpoint = null;
        }
        else if (takeOver || resume)
        {
            RunResumption.CheckSettings(_ownLayers, checkpoint.ConfigLayers, _store!.Location);
        }
        else
        {
            var where = checkpoint.Run is { } r ? $", outputs in {r.OutputDirectory}" : "";
            throw new SettingsException($"{_store!.Location} holds the checkpoint of an interrupted run (round {checkpoint.Round} of {checkpoint.TotalRounds}{where}): " +
                                        $"continue it with --resume {(checkpoint.Run?.OutputDirectory is { Length: > 0 } o ? o : _newOutDir)}, or give this run another --out " +
                                        "(or --checkpoint-dir, --checkpoint-key), or delete it.");
        }

        _layers = checkpoint?.ConfigLayers ?? _ownLayers;
        var settings = _settings = checkpoint is null ? own : AkkaByzSettings.Create(ClusterConfig.RunConfig(_layers, _localData));
        if (checkpoint is not null)
        {
            // The node's own --out wins; without one the run goes on in its own folder.
            _outDir = own.Output.Directory.Length > 0 ? own.Output.Directory
                : checkpoint.Run is { OutputDirectory.Length: > 0 } r ? r.OutputDirectory
                : resume ? Path.GetFullPath(_node.Resume)
                : outDir;
            if (checkpoint.Run is { OutputDirectory.Length: > 0 } recorded &&
                !Path.GetFullPath(recorded.OutputDirectory).Equals(Path.GetFullPath(_outDir), StringComparison.Ordinal))
                RunOutput.Prepare(_outDir); // the run continues in another folder (--out): new, empty, or an old run's
            if (checkpoint.Run is { } r2)
            {
                _runId = r2.RunId;
                foreach (var p in r2.Participants) _participants[p.Slot] = p;
            }
        }
        else
        {
            _outDir = outDir;
            RunOutput.Prepare(_outDir);
        }
        _outDir = Path.GetFullPath(_outDir);
        _slots = new WorkerSlots(settings.Workers);
        // The slots the checkpoint's workers held stay theirs while free: a worker node restarted as a new process
        // (no previous slot) gets back the slot its stored optimizer states belong to.
        foreach (var (slot, identity) in checkpoint?.SlotIdentities ?? [])
            if (slot < settings.Workers && IsIdentity(identity)) _slots.Reserve(identity, slot);
        _restoring = checkpoint;
        _takeOver = takeOver;
        return clear;
    }

    private void Launch(RunComponents components)
    {
        var settings = _settings!;
        var outDir = _outDir!;
        var checkpoint = _restoring;
        var takeOver = _takeOver;
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        _components = components;
        // Omniscient attacks (ALIE, IPM, mimic): the simulated adversary is hosted here, next to the aggregator but
        // outside it; honest workers copy it their updates and Byzantine workers ask it for theirs (over the network,
        // through the vector transport), exactly as in a local run.
        var plan = RunPlan.For(components); // the workers' assembly, as the worker nodes make it
        if (plan.IsOmniscient)
        {
            var tap = Context.ActorOf(AdversaryTapActor.Props(plan.Attack!, settings.Workers, settings.Byzantine, settings.Seed, settings.Barrier.TapTimeout), "adversary-tap");
            _tapPath = Akka.Serialization.Serialization.SerializedActorPath(tap);
            _omniscient = true;
        }
        _node.CheckVectorFits(components.Dimension, settings.Model);
        // From now on an incoming vector of any other size is refused on its header, before anything is allocated.
        VectorTransport.Get(Context.System).ExpectedDimension = components.Dimension;
        _rounds = components.Rounds;
        var server = _server = components.CreateServerOptimizer((float[])components.InitialParameters.Clone());
        long firstRound = 1;
        IEnumerable<MetricsRow>? history = null;
        if (checkpoint is not null)
        {
            if (checkpoint.X.Length != components.Dimension)
                throw new InvalidDataException($"checkpoint '{_store!.Location}' has d = {checkpoint.X.Length}, the run's model has d = {components.Dimension}.");
            server.SetState(checkpoint.Server);
            _ruleState.Pending = checkpoint.AggregatorState;
            firstRound = checkpoint.Round + 1;
            _restoredFrom = checkpoint.Round;
            var source = Path.Combine(checkpoint.Run is { OutputDirectory.Length: > 0 } r ? r.OutputDirectory : outDir, "metrics.csv");
            var kept = RunResumption.History(source, checkpoint.Round).LastOrDefault();
            history = RunResumption.History(source, checkpoint.Round); // streamed by the sink at its start
            var note = kept is null ? $"; no metrics.csv of the earlier rounds at {source}: this metrics.csv starts at round {firstRound}"
                : kept.Round < checkpoint.Round ? $"; {source} has the rounds only up to {kept.Round}"
                : $"; metrics.csv continues after round {checkpoint.Round} (rows of later rounds are re-run)";
            Print($"{(takeOver ? "took over" : "resuming")}: restored checkpoint of round {checkpoint.Round} from {_store!.Location}; continuing at round {firstRound} of {_rounds}{note}");
        }
        Directory.CreateDirectory(outDir);
        var every = _node.ProgressEvery;
        var me = _self;
        _metrics = Context.ActorOf(MetricsSinkActor.Props(Path.Combine(outDir, "metrics.csv"), settings.EvalInterval, row =>
        {
            me.Tell(new RowWritten(row.Round));
            if (row.Evaluated || (every > 0 && row.Round % every == 0))
                Print($"round {row.Round}/{_rounds}: train loss {row.TrainLoss:0.0000}, updates {row.Received}" +
                      (row.Evaluated ? $", test accuracy {row.TestAccuracy:0.0000}" : ""));
        }, history: history, run: RunDescription.From(settings, _rounds, firstRound)), "metrics");
        _evaluator = Context.ActorOf(EvaluatorActor.Props(components.CreateModel(), components.Test, _metrics), "evaluator");
        var min = _minToStart = checkpoint is not null ? 1 : _node.MinWorkers; // a resumed run goes on with the workers that come back
        _startDeadline = DateTime.UtcNow + settings.Barrier.StartTimeout;
        _aggregator = Context.ActorOf(AggregatorActor.Props(new AggregatorActor.Setup(
            settings.Workers, settings.Byzantine, _rounds, settings.EvalInterval, settings.Barrier, server,
            components.CreateAggregator, _evaluator, _metrics, firstRound, SaveCheckpoint, Admit,
            MinWorkers: min, Restored: checkpoint?.Counters,
            OnRegistrations: (slots, waiting) => me.Tell(new Registrations(slots, waiting)),
            WaitProgressInterval: _node.WaitReportInterval, RuleState: _ruleState)), "run");
        _aggregator.Tell(WatchRun.Instance, Self);
        var startRule = min is > 0 and var n && n < settings.Workers
            ? $"starts when all {settings.Workers} have registered, or with at least {n} at the start timeout ({settings.Barrier.StartTimeout.TotalSeconds:0.#} s)"
            : $"starts when all {settings.Workers} have registered (gives up after the start timeout, {settings.Barrier.StartTimeout.TotalSeconds:0.#} s)";
        Print($"aggregator {_incarnation} at {cluster.SelfAddress}: waiting for {settings.Workers} workers " +
              $"(model {settings.Model}, d = {components.Dimension}, {_rounds} rounds, aggregator {settings.Aggregator}, f = {settings.Byzantine}); the run {startRule}" +
              (_store is null ? "; checkpoints off" : $"; checkpoints in {_store.Location}"));
    }

    /// <summary>The AggregatorActor's round hook (its thread, no step running): capture a checkpoint every k rounds.</summary>
    private void SaveCheckpoint(long round, float[] x, IServerOptimizer server, RunCounters counters)
    {
        if (_store is null || round % _node.CheckpointInterval != 0 || round >= _rounds) return;
        // Captured now (the state is copied), written once metrics.csv holds this round (see SavePending).
        var checkpoint = new Checkpoint(round, _rounds, x, server.GetState(), _layers, Completed: false, _ruleState.Save()) { Counters = counters };
        _self.Tell(new PendingCheckpoint(checkpoint));
    }

    private void SavePending()
    {
        // Once the run is over, the completed checkpoint is the last word: no round's checkpoint may replace it.
        // One write at a time, every checkpoint in round order.
        if (_finished is not null || _ending || _saveInFlight || !_pendingCheckpoints.TryPeek(out var pending) || pending.Round > _lastRowWritten || _store is null) return;
        _pendingCheckpoints.Dequeue();
        _saveInFlight = true;
        var watch = Stopwatch.StartNew();
        try
        {
            _saving = _store.SaveAsync(pending with { Run = RunInfo(), SlotIdentities = _slots?.Identities });
        }
        catch (Exception e)
        {
            _saving = Task.FromException(e);
        }
        _saving.PipeTo(_self, success: () => new CheckpointSaved(pending.Round, watch.Elapsed, null), failure: e => new CheckpointSaved(pending.Round, watch.Elapsed, e));
    }

    private void OnSaved(CheckpointSaved saved)
    {
        _saveInFlight = false;
        if (saved.Error is null)
            Print($"checkpoint: round {saved.Round} saved ({saved.Took.TotalMilliseconds:0.#} ms)");
        else
            Print($"error: checkpoint of round {saved.Round} not saved in {_store?.Location}: {(saved.Error is AggregateException { InnerException: { } i } ? i : saved.Error).Message}");
        SavePending();
    }

    private CheckpointRun RunInfo() =>
        new(_runId, AggregatorLineage.KeyOf(Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress), _outDir ?? "", DateTime.UtcNow, _participants.Values.ToArray());

    /// <summary>From the AggregatorActor: the registered slots (who takes part), and while waiting, the progress line.</summary>
    private void OnRegistrations(Registrations r)
    {
        foreach (var slot in r.Slots)
            if (_slots!.TryGetHolder(slot, out var held))
                _participants[slot] = new Participant(slot, _security.IsSecure ? held.Principal : "", held.Host.Path.Address.ToString());
        if (!r.Waiting || _settings is null) return;
        var m = _settings.Workers;
        var registered = r.Slots.ToHashSet();
        var missing = Enumerable.Range(0, m).Where(i => !registered.Contains(i))
            .Select(i => _slots!.TryGetHolder(i, out var h) ? $"slot {i} ({(_security.IsSecure ? h.Principal : h.Host.Path.Address.ToString())} joined, registering)" : $"slot {i} (no worker node yet)")
            .ToArray();
        var left = Math.Max(0, (_startDeadline - DateTime.UtcNow).TotalSeconds);
        var rule = _minToStart is > 0 and var n && n < m
            ? $"starts with all {m}, or with at least {n} in {left:0} s (start timeout)"
            : $"starts with all {m}; gives up in {left:0} s (start timeout; --min-workers N starts with fewer)";
        Print($"waiting for workers: {registered.Count}/{m} registered; missing {string.Join(", ", missing.Take(8))}{(missing.Length > 8 ? $" and {missing.Length - 8} more" : "")}; the run {rule}");
    }
    /// <summary>The key a slot is bound to: the certificate identity in mtls mode, else the node actor's path.</summary>
    private string PrincipalOf(IActorRef sender) => _security.IsSecure ? _security.OriginOf(sender).Principal : sender.Path.ToString();

    /// <summary>
    /// The stable identity a released slot is kept for (<see cref="WorkerSlots"/>): the certificate identity in mtls
    /// mode; without certificates the name the node joined with when it is a configured one (<c>--name</c>: a valid
    /// name; the default <c>worker@HOST:PORT</c> is not one), else none. A name without a certificate is the node's
    /// word: it only chooses which free slot the node gets, never one that is held.
    /// </summary>
    private string? IdentityOf(string principal, JoinRun join) =>
        _security.IsSecure ? principal : NodeIdentity.IsValidName(join.Name) ? join.Name : null;

    /// <summary>An identity of the current mode, as <see cref="IdentityOf"/> makes them (for those a checkpoint recorded).</summary>
    private bool IsIdentity(string identity) => _security.IsSecure
        ? identity.StartsWith(NodeIdentity.WorkerRole + ":", StringComparison.Ordinal) && NodeIdentity.IsValidName(identity[(NodeIdentity.WorkerRole.Length + 1)..])
        : NodeIdentity.IsValidName(identity);

    private void OnJoin(JoinRun join)
    {
        if (_finished is not null)
        {
            _link.Tell(Sender, _finished, Self);
            return;
        }
        if (_components is null || _settings is null) return;
        var principal = PrincipalOf(Sender);
        var identity = IdentityOf(principal, join);
        var slots = _slots!;
        if (slots.TryGetSlot(principal, out var slot))
        {
            slots.TryGetHolder(slot, out var holder);
            var host = holder.Host;
            if (!host.Equals(Sender))
            {
                // The same identity from a new node actor (its node restarted): the slot follows the identity.
                Context.Unwatch(host);
                slots.Rebind(slot, Sender, identity);
                Context.Watch(Sender);
                Print($"worker {principal} is back at {Sender.Path.Address}: slot {slot}");
                _link.Tell(Sender, Assignment(slot), Self);
            }
            else if (join.Incarnation != _incarnation)
            {
                _link.Tell(Sender, Assignment(slot), Self);
            }
            return;
        }
        var reserved = identity is not null && slots.TryGetReserved(identity, out var kept) ? kept : -1;
        slot = slots.Assign(principal, Sender, join.PreviousIndex, identity);
        if (slot < 0)
        {
            _link.Tell(Sender, new JoinRefused($"all {slots.Workers} worker slots are taken; waiting for one to free up"), Self);
            return;
        }
        Context.Watch(Sender);
        var why = slot == join.PreviousIndex ? "" : slot == reserved ? $" (the slot {(_security.IsSecure ? "this identity" : "this name")} held before)" : "";
        Print($"worker node {Sender.Path.Address} ('{Truncate(join.Name)}'{(_security.IsSecure ? $", identity {principal}" : "")}) gets slot {slot}{why}");
        _link.Tell(Sender, Assignment(slot), Self);
    }

    /// <summary>The aggregator's admission rule: slot k only for a worker actor of the principal that holds slot k.</summary>
    private string? Admit(IActorRef worker, int slot)
    {
        if (_slots is null || !_slots.TryGetHolder(slot, out var held)) return $"slot {slot} is not assigned to any worker node";
        if (_security.IsSecure)
        {
            var principal = _security.OriginOf(worker).Principal;
            return principal == held.Principal ? null : $"slot {slot} belongs to {held.Principal}, not to {principal}";
        }
        return worker.Path.Address.Equals(held.Host.Path.Address) ? null : $"slot {slot} belongs to the node {held.Host.Path.Address}";
    }

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "...";

    /// <summary>
    /// A slot's assignment. It names the restored round only while no later round has completed: a worker joining
    /// after that (a crashed node restarted mid-run) starts with fresh momentum, as any mid-run joiner does, instead of
    /// an optimizer state that is rounds out of date.
    /// </summary>
    private RunAssignment Assignment(int slot) =>
        new(_incarnation, slot, _layers, _components!.Dimension, _tapPath, _lastRowWritten <= _restoredFrom ? _restoredFrom : 0,
            _store is null ? 0 : _node.CheckpointInterval);

    private async Task OnCompleted(RunCompleted run)
    {
        _ending = true;
        _pendingCheckpoints.Clear();
        if (_settings is not null) run = run with { Reason = RunAdvice.Explain(_settings, _omniscient, run.Reason) };
        Print(run.Completed ? $"training finished: {run.Reason}" : $"training stopped: {run.Reason}");
        try
        {
            await WriteOutputs(run);
        }
        catch (Exception e)
        {
            // The run itself is over: report the failure, still end the run everywhere (a restart would retrain).
            Print($"error: writing the outputs failed: {e.GetType().Name}: {e.Message}");
        }
        Finish(new RunFinished(run.Completed, run.Reason), run.Completed ? 0 : 3);
    }

    private async Task WriteOutputs(RunCompleted run)
    {
        var settings = _settings!;
        var result = await RunOutput.CollectAsync(_evaluator!, _metrics!, run, _outDir, _setupClock.Elapsed.TotalSeconds - run.WallSeconds);
        RunOutput.Write(_outDir!, settings, _rounds, result, AddParticipants);
        WriteClusterReport(run);
        if (run.Completed && _store is not null)
        {
            try { await _saving; } catch (Exception) { /* reported by OnSaved */ } // a round's write in flight lands first
            await _store.SaveAsync(new Checkpoint(run.Rounds, _rounds, run.FinalParameters, _server!.GetState(), _layers, Completed: true)
            {
                Run = RunInfo(),
                Counters = new RunCounters(run.UpdatesAccepted, run.Suspects, run.Rejected, run.WallSeconds),
            });
        }
        Print($"final test accuracy {result.Final.Accuracy:0.0000} (loss {result.Final.Loss:0.0000}) after {run.Rounds} rounds; outputs in {_outDir}");
    }

    /// <summary>summary.json: who really took part — the worker slots that registered during the run (over every aggregator of a failed-over run), not the configured m.</summary>
    private void AddParticipants(System.Text.Json.Nodes.JsonObject root)
    {
        root["workers_taking_part"] = _participants.Count;
        var slots = new System.Text.Json.Nodes.JsonArray();
        foreach (var p in _participants.Values)
            slots.Add(new System.Text.Json.Nodes.JsonObject { ["slot"] = p.Slot, ["identity"] = p.Identity, ["address"] = p.Address });
        root["worker_slots"] = slots;
        root["run_id"] = _runId;
        root["restored_from_round"] = _restoredFrom;
    }

    private void WriteClusterReport(RunCompleted run)
    {
        using var stream = File.Create(Path.Combine(_outDir!, "cluster.json"));
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("aggregator_node", Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString());
        w.WriteString("incarnation", _incarnation);
        w.WriteNumber("restored_from_round", _restoredFrom);
        w.WriteNumber("checkpoint_interval", _store is null ? 0 : _node.CheckpointInterval);
        w.WriteString("checkpoint_file", _store?.Location ?? "");
        w.WriteNumber("rounds_run", run.Rounds);
        w.WriteBoolean("completed", run.Completed);
        w.WriteStartArray("worker_nodes");
        foreach (var (slot, principal, host) in _slots?.Held ?? [])
        {
            w.WriteStartObject();
            w.WriteNumber("slot", slot);
            w.WriteString("address", host.Path.Address.ToString());
            w.WriteString("identity", _security.IsSecure ? principal : "");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        var (byReason, byPeer) = _security.Refusals();
        w.WriteStartObject("security");
        w.WriteString("mode", _security.IsSecure ? "mtls" : "insecure");
        w.WriteString("identity", _security.Self?.ToString() ?? "");
        w.WriteNumber("refused_total", byReason.Values.Sum());
        JsonCounts.WriteCounts(w, "refused", byReason);
        w.WriteStartObject("refused_by_peer");
        foreach (var (peer, reasons) in byPeer.OrderBy(kv => kv.Key, StringComparer.Ordinal)) JsonCounts.WriteCounts(w, peer, reasons);
        w.WriteEndObject();
        w.WriteEndObject();
        var transport = VectorTransport.Get(Context.System);
        var stats = transport.Stats.Snapshot();
        w.WriteStartObject("vector_transport");
        w.WriteString("mode", transport.ModeName);
        w.WriteNumber("threshold_bytes", transport.Settings.Threshold);
        w.WriteNumber("vectors_sent", stats.Sent);
        w.WriteNumber("bytes_sent", stats.SentBytes);
        w.WriteNumber("vectors_received", stats.Delivered);
        w.WriteNumber("bytes_received", stats.DeliveredBytes);
        w.WriteNumber("send_failures", stats.SendFailures);
        JsonCounts.WriteCounts(w, "rejected", stats.Rejected);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Tells every node (workers, standby aggregators, this node) that the run is over.</summary>
    private void Finish(RunFinished finished, int exitCode)
    {
        _finished = finished;
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        var provider = ((ExtendedActorSystem)Context.System).Provider;
        var told = new HashSet<IActorRef>();
        foreach (var member in cluster.State.Members.Where(m => !m.Address.Equals(cluster.SelfAddress)))
        {
            var node = provider.ResolveActorRef((new RootActorPath(member.Address) / "user" / NodeActorName).ToString());
            if (told.Add(node)) _link.Tell(node, finished, Self);
        }
        foreach (var host in _slots?.Hosts ?? [])
            if (told.Add(host)) _link.Tell(host, finished, Self);
        if (Akka.Hosting.ActorRegistry.For(Context.System).TryGet<ClusterNode.NodeActor>(out var self)) self.Tell(new NodeExit(exitCode));
    }

    private void Print(string line) => _out?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {line}");

    /// <summary>The well-known name of every node's node actor (<c>/user/node</c>).</summary>
    public const string NodeActorName = "node";
}

/// <summary>Local (AggregatorActor → coordinator): the registered slots; <paramref name="Waiting"/> while the run waits for its workers.</summary>
internal sealed record Registrations(IReadOnlyCollection<int> Slots, bool Waiting) : INoSerializationVerificationNeeded;

/// <summary>Local: a checkpoint captured at its round, to be written once metrics.csv holds that round.</summary>
internal sealed record PendingCheckpoint(Checkpoint Checkpoint) : INoSerializationVerificationNeeded;

/// <summary>Local (metrics sink's callback → coordinator): metrics.csv holds the row of this round.</summary>
internal sealed record RowWritten(long Round) : INoSerializationVerificationNeeded;

/// <summary>Local (the start task → coordinator): the checkpoint store (null: checkpoints off) and its checkpoint (null: none).</summary>
internal sealed record CheckpointLoaded(ICheckpointStore? Store, Checkpoint? Checkpoint) : INoSerializationVerificationNeeded;

/// <summary>Local (the composition task → coordinator): the run's components, composed off the singleton's thread.</summary>
internal sealed record RunComposed(RunComponents Components) : INoSerializationVerificationNeeded;

/// <summary>Local: loading the checkpoint or composing the run failed.</summary>
internal sealed record StartFailed(Exception Cause) : INoSerializationVerificationNeeded;

/// <summary>Local: a round's checkpoint write ended (<paramref name="Error"/> null: saved).</summary>
internal sealed record CheckpointSaved(long Round, TimeSpan Took, Exception? Error) : INoSerializationVerificationNeeded;

/// <summary>Local: the node should exit with this code once the run's outputs are written.</summary>
public sealed record NodeExit(int Code) : INoSerializationVerificationNeeded;
