using Akka.Actor;

namespace AkkaByz.Runtime.Protocol;

/// <summary>
/// Marker for every message that may cross a process boundary. Bound in HOCON to
/// <see cref="Serialization.AkkaByzSerializer"/> (raw little-endian float arrays, short string manifests).
/// Identity is always the sender's actor ref, never a field of the payload.
/// </summary>
public interface IAkkaByzMessage;

// ---------------------------------------------------------------- registration

/// <summary>
/// Worker → aggregator (and honest worker → adversary tap): "I take part". <paramref name="WorkerIndex"/> is the
/// slot the worker asks for (0..m−1); it orders the inputs of the aggregation (determinism) and is bound to the
/// sender's actor ref at registration: later messages are attributed by sender, never by a payload field.
/// </summary>
public sealed record RegisterWorker(int WorkerIndex, string Name) : IAkkaByzMessage;

/// <summary>Aggregator → worker: registration accepted; <paramref name="Dimension"/> is d.</summary>
public sealed record WorkerRegistered(int WorkerIndex, int Dimension) : IAkkaByzMessage;

/// <summary>Aggregator → worker: registration refused (slot taken, out of range, run already started...).</summary>
public sealed record RegistrationRejected(int WorkerIndex, string Reason) : IAkkaByzMessage;

// ---------------------------------------------------------------- the round

/// <summary>Aggregator → each registered worker: the query point x_t of round <paramref name="Round"/> (from 1).</summary>
public sealed record Params(long Round, float[] X) : IAkkaByzMessage;

/// <summary>Worker → aggregator: this worker's vector for <paramref name="Round"/> and its minibatch loss at x_t.</summary>
public sealed record Update(long Round, float[] Vector, double Loss) : IAkkaByzMessage;

/// <summary>Aggregator → workers and run watchers' peers: training is over (completed or stopped); workers stop.</summary>
public sealed record TrainingFinished(long Rounds, string Reason) : IAkkaByzMessage;

// ---------------------------------------------------------------- run control

/// <summary>Anyone → aggregator: reply with <see cref="RunCompleted"/> when the run ends (immediately if it has).</summary>
public sealed record WatchRun : IAkkaByzMessage
{
    public static readonly WatchRun Instance = new();
}

/// <summary>
/// Host → aggregator (same process): end the run now, after the last completed round (Ctrl-C). Watchers receive a
/// <see cref="RunCompleted"/> with <c>Completed = false</c> and the reason "<paramref name="Reason"/> after round t".
/// </summary>
public sealed record StopRun(string Reason) : INoSerializationVerificationNeeded;

/// <summary>
/// Aggregator → watchers: the run ended. <paramref name="Completed"/> is false when it stopped early
/// (<paramref name="Reason"/> says why). Rejection counts are per validation reason (see <see cref="RejectReasons"/>).
/// </summary>
public sealed record RunCompleted(
    bool Completed,
    string Reason,
    long Rounds,
    float[] FinalParameters,
    IReadOnlyDictionary<string, long> Rejected,
    long Suspects,
    long UpdatesAccepted,
    double WallSeconds) : IAkkaByzMessage;

/// <summary>The validation reasons an update can be rejected for (names used in counters, logs and metrics).</summary>
public static class RejectReasons
{
    public const string Unregistered = "unregistered";
    public const string Stale = "stale";
    public const string Future = "future";
    public const string Duplicate = "duplicate";
    public const string Late = "late";
    public const string WrongLength = "wrong-length";
    public const string NonFinite = "non-finite";

    public static readonly IReadOnlyList<string> All = [Unregistered, Stale, Future, Duplicate, Late, WrongLength, NonFinite];
}

// ---------------------------------------------------------------- omniscient adversary (simulation)

/// <summary>Honest worker → adversary tap: a copy of its update for <paramref name="Round"/>.</summary>
public sealed record HonestCopy(long Round, float[] Vector) : IAkkaByzMessage;

/// <summary>Byzantine worker → adversary tap: craft my vector for <paramref name="Round"/>.</summary>
public sealed record CraftRequest(long Round, int ByzantineIndex) : IAkkaByzMessage;

/// <summary>
/// Adversary tap → Byzantine worker: the crafted vector, or an empty vector when no honest vector of the round
/// was seen before the tap's timeout (the Byzantine worker then stays silent that round).
/// </summary>
public sealed record CraftedVector(long Round, float[] Vector) : IAkkaByzMessage;

// ---------------------------------------------------------------- evaluation

/// <summary>Aggregator (or host) → evaluator: evaluate <paramref name="X"/>, the query point after round <paramref name="Round"/>.</summary>
public sealed record EvaluateRequest(long Round, float[] X) : IAkkaByzMessage;

/// <summary>Evaluator → metrics sink (and the requester): test loss and accuracy (0..1) after <paramref name="Round"/>.</summary>
public sealed record EvaluationResult(long Round, double Loss, double Accuracy) : IAkkaByzMessage;

// ---------------------------------------------------------------- local-only (never serialized)

/// <summary>
/// Aggregator → metrics sink (same process): one row of per-round figures. <see cref="SuspectWorkers"/>: the worker
/// indices the rule discarded this round (ascending); <see cref="RejectedByReason"/>: this round's rejections by
/// reason (null when there were none).
/// </summary>
public sealed record RoundMetrics(
    long Round,
    double TrainLoss,
    int Received,
    int Rejected,
    int Suspects,
    double AggregationMs,
    double RoundMs,
    double ElapsedSeconds,
    long RefusedTotal = 0,
    SuspectTally? Tally = null) : INoSerializationVerificationNeeded
{
    public IReadOnlyList<int> SuspectWorkers { get; init; } = [];
    public IReadOnlyDictionary<string, int>? RejectedByReason { get; init; }
}

/// <summary>
/// How well a run's suspects matched the true Byzantine slots, cumulative up to a round (simulation only: the slots
/// are known). Precision = Byzantine suspects / suspects; recall = Byzantine suspects / Byzantine inputs
/// (NaN when the denominator is 0, e.g. a rule that reports no suspects).
/// </summary>
public sealed record SuspectTally(long ByzantineSuspects, long Suspects, long ByzantineInputs)
{
    public static readonly SuspectTally Zero = new(0, 0, 0);

    public SuspectTally Add(long byzantineSuspects, long suspects, long byzantineInputs) =>
        new(ByzantineSuspects + byzantineSuspects, Suspects + suspects, ByzantineInputs + byzantineInputs);

    public double Precision => Suspects == 0 ? double.NaN : (double)ByzantineSuspects / Suspects;
    public double Recall => ByzantineInputs == 0 ? double.NaN : (double)ByzantineSuspects / ByzantineInputs;
}

/// <summary>
/// Local (cluster host → aggregator): the cluster's failure detector marked <paramref name="Node"/> unreachable
/// (<paramref name="Reachable"/> = false) or reachable again. Workers on an unreachable node are absent: left out of
/// the barrier of the current round (it closes without waiting for the deadline) and of the following rounds until
/// the node is reachable again or its workers are Terminated (downed: removed for good).
/// </summary>
public sealed record NodeReachability(Address Node, bool Reachable) : INoSerializationVerificationNeeded;
