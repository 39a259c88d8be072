using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;
using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Checkpointing;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Metrics;
using AkkaByz.Runtime.Protocol;
using AkkaByz.Runtime.Security;
using AkkaByz.Runtime.Transport;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Actors;

/// <summary>
/// The parameter server of the synchronous protocol (docs/runtime.md, The round protocol). Workers register (DeathWatched; Terminated =
/// removed for good). Once the expected number have registered it runs rounds; if the start timeout fires first, it
/// starts with those registered only when they are at least <see cref="Setup.MinWorkers"/> (by default all m: a run
/// never silently starts with fewer than it was configured for), the quorum and more than 2f, and otherwise ends
/// saying how many came. It runs rounds: Params(t, x_t) to every registered worker; Updates are validated (unregistered sender,
/// stale/future round, wrong length, non-finite, duplicate — each rejection counted and logged); the barrier closes
/// when every active member of the round has answered (a malformed update counts as its answer) or the round
/// deadline fires. With fewer than the quorum, or
/// 2f ≥ received, the round is re-published (workers resend their cached update) up to max-retries times, then the
/// run stops with a message saying why (members whose only answer was malformed reveal themselves: the round's f
/// drops by their number). Otherwise the accepted vectors, ordered by worker index, are aggregated by
/// the configured rule and the server optimizer steps — off the actor thread (Task + PipeTo), so timers and the
/// mailbox stay responsive; updates arriving meanwhile are rejected and counted (late/duplicate), not stashed.
/// The aggregator never learns which workers are Byzantine.
/// </summary>
public sealed class AggregatorActor : ReceiveActor, IWithTimers
{
    private const string DeadlineTimer = "round-deadline";
    private const string StartTimer = "start-timeout";
    private const string ProgressTimer = "wait-progress";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Setup _setup;
    private readonly IServerOptimizer _server;
    private readonly int _dimension;
    private readonly Dictionary<(int N, int F), IAggregator> _aggregators = [];
    private readonly RuleStateHolder _ruleState;
    private readonly Dictionary<IActorRef, int> _indexOf = [];
    private readonly SortedDictionary<int, IActorRef> _byIndex = [];
    private readonly HashSet<int> _members = [];
    private readonly SortedDictionary<int, (float[] Vector, double Loss)> _received = [];
    private readonly HashSet<int> _answeredInvalid = [];
    private readonly Dictionary<string, long> _rejected = RejectReasons.All.ToDictionary(r => r, _ => 0L);
    private readonly HashSet<IActorRef> _watchers = []; // a set: a repeated WatchRun never grows it
    private readonly HashSet<Address> _unreachable = [];
    private readonly Stopwatch _clock = new();
    private float[] _x;
    private readonly VectorTransport _link = VectorTransport.Get(Context.System);
    private readonly NodeSecurity _security = NodeSecurity.Get(Context.System);
    private long _round;
    private int _retries;
    private int _rejectedThisRound;
    private Dictionary<string, int>? _rejectedThisRoundByReason; // allocated only in a round with rejections
    private long _suspects;
    private SuspectTally? _tally;
    private long _accepted;
    private long _deadlinesFired;
    private long _lastAggregationTicks = long.MaxValue;
    private double _roundStartMs;
    private readonly double _secondsBefore;
    private RunCompleted? _result;
    private bool _stopRequested;
    private bool _running; // the rounds' behaviour is in place
    private bool _aggregating; // the current round's barrier is closed and its aggregation runs

    /// <summary>What the aggregator needs besides messages.</summary>
    /// <param name="ExpectedWorkers">m: start once this many have registered.</param>
    /// <param name="Byzantine">f: the tolerance the aggregation rule is built with.</param>
    /// <param name="Rounds">Number of rounds to run.</param>
    /// <param name="EvalInterval">Ask the evaluator every this many rounds (0 = never; the host evaluates at the end).</param>
    /// <param name="AggregatorFactory">Builds the rule for n inputs tolerating f (cached per distinct (n, f)).</param>
    /// <param name="FirstRound">The first round to publish (1, or checkpoint round + 1 when restored from a checkpoint).</param>
    /// <param name="OnRoundCompleted">
    /// Called on the actor thread after each server step with (round, x_{round+1}, server, the run's counters through
    /// that round), while no step runs (cluster mode: checkpoints). Exceptions are logged, never fatal.
    /// </param>
    /// <param name="Admit">
    /// Who may register for a slot: (sender, slot) → null to admit, or the reason to refuse. Cluster mode binds each
    /// slot to the identity it was assigned to, so a node cannot take another's slot or a second one. Null = any.
    /// </param>
    /// <param name="IsByzantineSlot">
    /// Simulation only, for metrics: which slots run an attack, so each round's suspects can be scored (precision and
    /// recall in <see cref="SuspectTally"/>). Never used to aggregate. Null = unknown (no tally).
    /// </param>
    /// <param name="MinWorkers">
    /// Fewest registered workers the start timeout may start with (0 = all <paramref name="ExpectedWorkers"/>: the run
    /// then starts only once every one has registered, and the timeout ends it).
    /// </param>
    /// <param name="Restored">The counters of the rounds before <paramref name="FirstRound"/> (a restored run), so the result counts the whole run.</param>
    /// <param name="OnRegistrations">
    /// Called on the actor thread with the registered slots whenever a worker registers, and every
    /// <paramref name="WaitProgressInterval"/> while the run waits for its workers; the flag is true while it waits
    /// (the host's "waiting for workers" line), false once the rounds run (the host's record of who took part).
    /// </param>
    /// <param name="RuleState">
    /// The aggregation rule's cross-round state (stateful rules such as centered clipping), shared by the instances
    /// built per (n, f), and how the host checkpoints and restores it. Null = the actor keeps its own.
    /// </param>
    public sealed record Setup(
        int ExpectedWorkers,
        int Byzantine,
        long Rounds,
        int EvalInterval,
        BarrierSettings Barrier,
        IServerOptimizer Server,
        Func<int, int, IAggregator> AggregatorFactory,
        IActorRef? Evaluator = null,
        IActorRef? Metrics = null,
        long FirstRound = 1,
        Action<long, float[], IServerOptimizer, RunCounters>? OnRoundCompleted = null,
        Func<IActorRef, int, string?>? Admit = null,
        Func<int, bool>? IsByzantineSlot = null,
        int MinWorkers = 0,
        RunCounters? Restored = null,
        Action<IReadOnlyCollection<int>, bool>? OnRegistrations = null,
        TimeSpan WaitProgressInterval = default,
        RuleStateHolder? RuleState = null);

    public AggregatorActor(Setup setup)
    {
        _setup = setup;
        _server = setup.Server;
        _dimension = _server.Dimension;
        _x = _server.Query.ToArray();
        if (setup.Restored is { } before)
        {
            _accepted = before.Accepted;
            _suspects = before.Suspects;
            foreach (var (reason, count) in before.Rejected) _rejected[reason] = count;
            _secondsBefore = before.TrainingSeconds;
        }
        _ruleState = setup.RuleState ?? new RuleStateHolder();
        WaitingForWorkers();
    }

    public static Props Props(Setup setup) => Akka.Actor.Props.Create(() => new AggregatorActor(setup));

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _clock.Start();
        Timers.StartSingleTimer(StartTimer, StartTimeout.Instance, _setup.Barrier.StartTimeout);
        if (_setup.OnRegistrations is not null && _setup.WaitProgressInterval > TimeSpan.Zero)
            Timers.StartPeriodicTimer(ProgressTimer, WaitProgress.Instance, _setup.WaitProgressInterval);
    }

    /// <summary>The fewest workers a start timeout may start with.</summary>
    private int MinimumToStart => _setup.MinWorkers is > 0 and var n ? Math.Min(n, _setup.ExpectedWorkers) : _setup.ExpectedWorkers;

    private void ReportRegistrations(bool waiting)
    {
        try { _setup.OnRegistrations?.Invoke(_byIndex.Keys.ToArray(), waiting); }
        catch (Exception e) { _log.Warning("The registration callback failed: {0}", e.Message); }
    }

    // ------------------------------------------------------------------ states

    private void WaitingForWorkers()
    {
        Receive<RegisterWorker>(r =>
        {
            if (!Register(r)) return;
            if (_byIndex.Count == _setup.ExpectedWorkers) StartTraining();
        });
        Receive<WaitProgress>(_ => ReportRegistrations(waiting: true));
        Receive<StartTimeout>(_ =>
        {
            var count = _byIndex.Count;
            var min = MinimumToStart;
            if (count >= min && count >= _setup.Barrier.Quorum && 2 * _setup.Byzantine < count)
            {
                _log.Warning("Start timeout: {0} of {1} workers registered (at least {2} asked for); starting with them.", count, _setup.ExpectedWorkers, min);
                StartTraining();
            }
            else
            {
                var need = Math.Max(min, Math.Max(_setup.Barrier.Quorum, 2 * _setup.Byzantine + 1));
                Finish(false, $"only {count} of {_setup.ExpectedWorkers} workers registered within {_setup.Barrier.StartTimeout.TotalSeconds:0.#} s (start timeout); " +
                              $"the run needs {need} to start ({(min == _setup.ExpectedWorkers ? $"all {min}, as configured" : $"min-workers {min}")}, " +
                              $"the quorum {_setup.Barrier.Quorum}, more than 2f = {2 * _setup.Byzantine})");
            }
        });
        Receive<Update>(u => Reject(u, _indexOf.ContainsKey(Sender) ? RejectReasons.Future : RejectReasons.Unregistered));
        Common();
    }

    /// <summary>
    /// The rounds: collecting a round's updates, or aggregating it (<see cref="_aggregating"/>). One set of handlers for
    /// both (ReceiveActor rebuilds its handler table on every Become; with two state changes per round that cost more
    /// than a small model's whole aggregation).
    /// </summary>
    private void Running()
    {
        Receive<RegisterWorker>(r => Register(r));
        Receive<Update>(u =>
        {
            if (!_aggregating)
            {
                OnUpdate(u);
                return;
            }
            // The barrier of this round is closed: content checks first, then duplicate (already counted) or late.
            var reason = Classify(u);
            if (reason is null && u.Round == _round && _indexOf.ContainsKey(Sender)) reason = RejectReasons.Late;
            Reject(u, reason ?? RejectReasons.Late);
        });
        Receive<RoundDeadline>(d =>
        {
            if (_aggregating || d.Round != _round) return;
            var missing = _members.Where(i => !_received.ContainsKey(i) && !_answeredInvalid.Contains(i)).ToArray();
            Metrics.AkkaByzTelemetry.DeadlineFired();
            if (RepeatedWarning.ShouldLog(++_deadlinesFired))
                _log.Warning("Round {0}: deadline ({1} ms) fired with {2} of {3} updates; missing workers [{4}].",
                _round, _setup.Barrier.RoundDeadline.TotalMilliseconds, _received.Count, _members.Count, string.Join(", ", missing));
            CloseBarrier();
        });
        Receive<AggregationDone>(d => _aggregating && d.Round == _round, OnAggregated);
        Receive<AggregationFailed>(f => _aggregating && f.Round == _round, f =>
            Finish(false, $"round {f.Round}: aggregation with '{f.Spec}' failed: {f.Error.Message}"));
        Common();
    }

    private void Finished()
    {
        Receive<WatchRun>(_ => Sender.Tell(_result!));
        Receive<StopRun>(_ => { });
        Receive<Update>(_ => { });
        Receive<RegisterWorker>(r => _link.Tell(Sender, new RegistrationRejected(r.WorkerIndex, "the run is over"), Self));
        Receive<Terminated>(_ => { });
        Receive<object>(_ => { });
    }

    private void Common()
    {
        Receive<WatchRun>(_ => _watchers.Add(Sender));
        // The host asks to end now (Ctrl-C): the run ends after its last completed round; a round in flight is dropped.
        Receive<StopRun>(s =>
        {
            _stopRequested = true; // asked for (Ctrl-C): not a warning
            Finish(false, $"{s.Reason} after round {Math.Max(0, _round - 1)}");
        });
        Receive<EvaluationResult>(_ => { });
        Receive<StartTimeout>(_ => { });
        Receive<WaitProgress>(_ => { });
        Receive<NodeReachability>(OnReachability);
        Receive<Terminated>(t =>
        {
            if (!_indexOf.Remove(t.ActorRef, out var index)) return;
            _byIndex.Remove(index);
            var wasMember = _members.Remove(index);
            _log.Warning("Worker {0} ({1}) terminated: removed for good; {2} workers remain.", index, t.ActorRef.Path.Name, _byIndex.Count);
            if (wasMember && _round > 0 && BarrierComplete() && _clock.IsRunning && IsCollecting) CloseBarrier();
        });
    }

    private bool IsCollecting { get; set; }

    /// <summary>Cluster mode: workers on an unreachable node are absent (this round and on) until reachable or Terminated.</summary>
    private void OnReachability(NodeReachability r)
    {
        if (r.Reachable)
        {
            if (_unreachable.Remove(r.Node)) _log.Info("Node {0} is reachable again: its workers take part from the next round.", r.Node);
            return;
        }
        if (!_unreachable.Add(r.Node)) return;
        var absent = _byIndex.Where(kv => kv.Value.Path.Address.Equals(r.Node)).Select(kv => kv.Key).ToArray();
        if (absent.Length == 0) return;
        _log.Warning("Round {0}: node {1} is unreachable: worker(s) [{2}] absent until reachable again or removed.", _round, r.Node, string.Join(", ", absent));
        var left = false;
        foreach (var i in absent)
            if (!_received.ContainsKey(i) && !_answeredInvalid.Contains(i)) left |= _members.Remove(i);
        if (left && IsCollecting && BarrierComplete()) CloseBarrier();
    }

    private bool IsAbsent(IActorRef worker) => _unreachable.Count > 0 && _unreachable.Contains(worker.Path.Address);

    // ------------------------------------------------------------------ registration

    private bool Register(RegisterWorker r)
    {
        string? refusal = null;
        if (_indexOf.TryGetValue(Sender, out var existing))
        {
            _link.Tell(Sender, new WorkerRegistered(existing, _dimension), Self);
            return false;
        }
        if (r.WorkerIndex < 0 || r.WorkerIndex >= _setup.ExpectedWorkers)
            refusal = $"slot {r.WorkerIndex} is outside 0..{_setup.ExpectedWorkers - 1}";
        else if (_setup.Admit?.Invoke(Sender, r.WorkerIndex) is { } denied)
        {
            refusal = denied;
            _security.RefuseMessage(r, Sender, "slot-not-yours");
        }
        else if (_byIndex.ContainsKey(r.WorkerIndex))
            refusal = $"slot {r.WorkerIndex} is taken by {_byIndex[r.WorkerIndex].Path}";
        if (refusal is not null)
        {
            _log.Warning("Registration of {0} ({1}) refused: {2}.", Sender.Path, _security.OriginOf(Sender), refusal);
            _link.Tell(Sender, new RegistrationRejected(r.WorkerIndex, refusal), Self);
            return false;
        }
        _indexOf[Sender] = r.WorkerIndex;
        _byIndex[r.WorkerIndex] = Sender;
        Context.Watch(Sender);
        _link.Tell(Sender, new WorkerRegistered(r.WorkerIndex, _dimension), Self);
        _log.Debug("Worker {0} '{1}' registered ({2}/{3}).", r.WorkerIndex, r.Name, _byIndex.Count, _setup.ExpectedWorkers);
        ReportRegistrations(waiting: _round == 0 && _byIndex.Count < _setup.ExpectedWorkers);
        return true;
    }

    // ------------------------------------------------------------------ rounds

    private void StartTraining()
    {
        Timers.Cancel(StartTimer);
        Timers.Cancel(ProgressTimer);
        _clock.Restart();
        _log.Info("Training starts: {0} workers, f = {1}, {2} rounds, d = {3}.", _byIndex.Count, _setup.Byzantine, _setup.Rounds, _dimension);
        if (_setup.EvalInterval > 0) _setup.Evaluator?.Tell(new EvaluateRequest(Math.Max(0, _setup.FirstRound - 1), _x)); // the starting point (or the restored one)
        Publish(Math.Max(1, _setup.FirstRound));
    }

    private void Publish(long round)
    {
        _round = round;
        _received.Clear();
        _answeredInvalid.Clear();
        _retries = 0;
        _rejectedThisRound = 0;
        _rejectedThisRoundByReason = null;
        _roundStartMs = _clock.Elapsed.TotalMilliseconds;
        _members.Clear();
        var message = new Params(round, _x);
        foreach (var (index, worker) in _byIndex)
        {
            if (IsAbsent(worker)) continue;
            _members.Add(index);
            _link.Tell(worker, message, Self);
        }
        BecomeCollecting();
    }

    private void BecomeCollecting()
    {
        IsCollecting = true;
        _aggregating = false;
        if (!_running)
        {
            _running = true;
            Become(Running);
        }
        Timers.StartSingleTimer(DeadlineTimer, new RoundDeadline(_round), _setup.Barrier.RoundDeadline);
        if (_members.Count == 0) CloseBarrier();
    }

    private string? Classify(Update u)
    {
        if (!_indexOf.TryGetValue(Sender, out var index) || !_members.Contains(index)) return RejectReasons.Unregistered;
        // Content before round: a malformed message is counted as malformed whenever it arrives.
        if (u.Vector.Length != _dimension) return RejectReasons.WrongLength;
        if (!AllFinite(u.Vector)) return RejectReasons.NonFinite;
        if (u.Round < _round) return RejectReasons.Stale;
        if (u.Round > _round) return RejectReasons.Future;
        if (_received.ContainsKey(index)) return RejectReasons.Duplicate;
        return null;
    }

    private void OnUpdate(Update u)
    {
        var reason = Classify(u);
        if (reason is not null)
        {
            Reject(u, reason);
            // A malformed update for this round is this worker's answer (the barrier need not wait for it);
            // a valid one arriving later in the round is still accepted. It lowers the round's f only when the channel
            // proved the update came from that worker (a local actor, or a certificate-checked node).
            if (reason is RejectReasons.WrongLength or RejectReasons.NonFinite && u.Round == _round && _indexOf.TryGetValue(Sender, out var i)
                && _security.OriginOf(Sender).IsProven)
            {
                _answeredInvalid.Add(i);
                if (BarrierComplete()) CloseBarrier();
            }
            return;
        }
        _received[_indexOf[Sender]] = (u.Vector, u.Loss);
        if (BarrierComplete()) CloseBarrier();
    }

    // Every member answered. The counts bound the members that answered from above (updates from members removed since
    // stay counted), so while they are short of the members the barrier is open and the per-member check is skipped.
    private bool BarrierComplete() =>
        _received.Count + _answeredInvalid.Count >= _members.Count && _members.All(i => _received.ContainsKey(i) || _answeredInvalid.Contains(i));

    private void Reject(Update u, string reason)
    {
        var count = ++_rejected[reason];
        _rejectedThisRound++;
        _rejectedThisRoundByReason ??= [];
        _rejectedThisRoundByReason[reason] = _rejectedThisRoundByReason.GetValueOrDefault(reason) + 1;
        if (RepeatedWarning.ShouldLog(count))
        {
            var who = _indexOf.TryGetValue(Sender, out var i) ? $"worker {i}" : $"unregistered {Sender.Path}";
            _log.Warning($"Rejected update from {who} (round {u.Round}, current {_round}, length {u.Vector.Length}): {reason} [{RepeatedWarning.Note(count)}].");
        }
    }

    private void CloseBarrier()
    {
        Timers.Cancel(DeadlineTimer);
        IsCollecting = false;
        var n = _received.Count;
        // A member whose only answer this round was malformed has revealed itself as faulty: the n valid updates
        // hold at most f − k Byzantine ones (k such members). Honest workers never send malformed updates (a
        // faulty link's corrupted copy travels next to the real update, which then counts as the answer).
        var revealed = _answeredInvalid.Count(i => !_received.ContainsKey(i));
        var f = Math.Max(0, _setup.Byzantine - revealed);
        var quorum = _setup.Barrier.AutoQuorum ? 2 * f + 1 : _setup.Barrier.Quorum;
        if (n < quorum || 2 * f >= n)
        {
            var why = n < quorum
                ? $"{n} valid updates, below the quorum of {quorum}"
                : $"{n} valid updates cannot tolerate f = {f} (need more than 2f = {2 * f})";
            if (_retries < _setup.Barrier.MaxRetries && _byIndex.Count > n)
            {
                _retries++;
                _log.Warning("Round {0}: {1}; re-publishing the round (retry {2} of {3}).", _round, why, _retries, _setup.Barrier.MaxRetries);
                _members.Clear();
                _answeredInvalid.Clear();
                foreach (var (index, worker) in _byIndex)
                    if (!IsAbsent(worker)) _members.Add(index);
                var message = new Params(_round, _x);
                foreach (var (index, worker) in _byIndex)
                    if (!_received.ContainsKey(index) && !IsAbsent(worker)) _link.Tell(worker, message, Self);
                BecomeCollecting();
                return;
            }
            Finish(false, $"stopped at round {_round}: {why}" + (_retries > 0 ? $" after {_retries} re-publications" : ""));
            return;
        }

        var inputs = _received.Values.Select(v => v.Vector).ToArray(); // ordered by worker index
        var workers = _received.Keys.ToArray(); // input position → worker index (the report's suspects are positions)
        var losses = _received.Values.Select(v => v.Loss).ToArray();
        var slots = _received.Keys.ToArray(); // input i came from worker slots[i]
        var isByzantine = _setup.IsByzantineSlot;
        IAggregator rule;
        try
        {
            if (!_aggregators.TryGetValue((n, f), out rule!))
            {
                rule = _setup.AggregatorFactory(n, f);
                _ruleState.Attach(rule);
                _aggregators[(n, f)] = rule;
            }
        }
        catch (Exception e)
        {
            Finish(false, $"round {_round}: cannot build the aggregation rule for {n} inputs and f = {f}: {e.Message}");
            return;
        }
        _accepted += n;
        _aggregating = true;
        var round = _round;
        var server = _server;
        var spec = rule.Spec;
        var link = _link;
        AggregationDone Work()
        {
            var start = Stopwatch.GetTimestamp();
            var aggregate = new float[server.Dimension];
            var report = rule.Aggregate(inputs, aggregate);
            var aggregationMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            link.Recycle(inputs); // the inputs are not read again; vectors that arrived through the transport are reused
            server.Step(aggregate);
            Volatile.Write(ref _lastAggregationTicks, Stopwatch.GetTimestamp() - start);
            var suspects = new int[report.Suspects.Count];
            for (var k = 0; k < suspects.Length; k++) suspects[k] = workers[report.Suspects[k]];
            var (caught, byzantineInputs) = isByzantine is null ? (0, 0) : (report.Suspects.Count(i => isByzantine(slots[i])), slots.Count(isByzantine));
            return new AggregationDone(round, server.Query.ToArray(), report.Suspects.Count, aggregationMs, Median(losses), n, caught, byzantineInputs, suspects);
        }
        if (ComputeScheduler.IsTiny(Volatile.Read(ref _lastAggregationTicks)))
        {
            // Tiny vectors: aggregating here is cheaper than the hand-off, and no timer can be starved by it.
            AggregationDone done;
            try
            {
                done = Work();
            }
            catch (Exception e)
            {
                Finish(false, $"round {round}: aggregation with '{spec}' failed: {e.Message}");
                return;
            }
            OnAggregated(done);
            return;
        }
        ComputeScheduler.Run(Work).PipeTo(Self, failure: e => new AggregationFailed(round, spec, e is AggregateException { InnerException: { } inner } ? inner : e));
    }

    private void OnAggregated(AggregationDone d)
    {
        _x = d.Next;
        _suspects += d.Suspects;
        _tally = _setup.IsByzantineSlot is null ? null : (_tally ?? SuspectTally.Zero).Add(d.ByzantineSuspects, d.Suspects, d.ByzantineInputs);
        if (_setup.OnRoundCompleted is { } hook)
        {
            try { hook(d.Round, _x, _server, new RunCounters(_accepted, _suspects, new Dictionary<string, long>(_rejected), _secondsBefore + _clock.Elapsed.TotalSeconds)); }
            catch (Exception e) { _log.Error(e, "Round {0}: the round-completed hook failed: {1}", d.Round, e.Message); }
        }
        var roundMs = _clock.Elapsed.TotalMilliseconds - _roundStartMs;
        _setup.Metrics?.Tell(new RoundMetrics(d.Round, d.TrainLoss, d.Received, _rejectedThisRound, d.Suspects, d.AggregationMs, roundMs, _secondsBefore + _clock.Elapsed.TotalSeconds,
            _security.IsRemote ? _security.RefusedTotal : 0, _tally)
        {
            SuspectWorkers = d.SuspectWorkers ?? [],
            RejectedByReason = _rejectedThisRoundByReason,
        });
        if (_setup.EvalInterval > 0 && d.Round % _setup.EvalInterval == 0 && d.Round < _setup.Rounds)
            _setup.Evaluator?.Tell(new EvaluateRequest(d.Round, _x));
        if (d.Round >= _setup.Rounds)
            Finish(true, $"completed {d.Round} rounds");
        else
            Publish(d.Round + 1);
    }

    private void Finish(bool completed, string reason)
    {
        Timers.CancelAll();
        _clock.Stop();
        if (completed || _stopRequested) _log.Info("Training {0}: {1}.", completed ? "finished" : "ended on request", reason);
        else _log.Warning("Training stopped: {0}.", reason);
        var rounds = completed ? _round : Math.Max(0, _round - 1);
        foreach (var worker in _byIndex.Values) _link.Tell(worker, new TrainingFinished(rounds, reason), Self);
        _result = new RunCompleted(completed, reason, rounds, _x, new Dictionary<string, long>(_rejected), _suspects, _accepted, _secondsBefore + _clock.Elapsed.TotalSeconds);
        foreach (var watcher in _watchers) watcher.Tell(_result);
        _watchers.Clear();
        Become(Finished);
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>True when every value is finite: x − x is 0 for finite x and NaN for ±∞ and NaN.</summary>
    internal static bool AllFinite(ReadOnlySpan<float> values)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            var vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
            foreach (var v in vectors)
                if (!Vector.EqualsAll(v - v, Vector<float>.Zero)) return false;
            i = vectors.Length * Vector<float>.Count;
        }
        for (; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return false;
        return true;
    }

    /// <summary>Median of the finite reported losses (robust to the f Byzantine reports); NaN when none is finite.</summary>
    internal static double Median(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).Order().ToArray();
        if (finite.Length == 0) return double.NaN;
        var mid = finite.Length / 2;
        return finite.Length % 2 == 1 ? finite[mid] : 0.5 * (finite[mid - 1] + finite[mid]);
    }

    // ------------------------------------------------------------------ local-only messages

    private sealed record RoundDeadline(long Round) : INoSerializationVerificationNeeded;

    private sealed record StartTimeout : INoSerializationVerificationNeeded
    {
        public static readonly StartTimeout Instance = new();
    }

    private sealed record WaitProgress : INoSerializationVerificationNeeded
    {
        public static readonly WaitProgress Instance = new();
    }

    private sealed record AggregationDone(long Round, float[] Next, int Suspects, double AggregationMs, double TrainLoss, int Received,
        int ByzantineSuspects = 0, int ByzantineInputs = 0, int[]? SuspectWorkers = null)
        : INoSerializationVerificationNeeded;

    private sealed record AggregationFailed(long Round, string Spec, Exception Error) : INoSerializationVerificationNeeded;
}

/// <summary>
/// The one cross-round state of a run's aggregation rule (<see cref="AggregatorState"/>): the instances the aggregator
/// builds per (n, f) all use it, so a stateful rule (centered clipping) continues from the previous round whichever
/// instance ran it. <see cref="Pending"/> holds a restored checkpoint's bytes until the first instance is built.
/// Read it only between rounds (the aggregator's round hook), never while an aggregation runs.
/// </summary>
public sealed class RuleStateHolder
{
    /// <summary>The shared state; null until a stateful rule has been built (and for stateless rules).</summary>
    public AggregatorState? State { get; private set; }

    /// <summary>Saved bytes to load into the first stateful instance (a restored checkpoint's), or null.</summary>
    public byte[]? Pending { get; set; }

    /// <summary>Makes <paramref name="rule"/> use the shared state (the first stateful rule's own becomes it).</summary>
    /// <exception cref="InvalidDataException">The pending bytes are not a state of this rule.</exception>
    public void Attach(IAggregator rule)
    {
        if (rule.State is not { } own) return;
        if (State is null)
        {
            if (Pending is { } bytes) own.Load(bytes);
            Pending = null;
            State = own;
        }
        else rule.UseState(State);
    }

    /// <summary>The state's bytes for a checkpoint, or null when the rule is stateless.</summary>
    public byte[]? Save() => State?.Save();
}
