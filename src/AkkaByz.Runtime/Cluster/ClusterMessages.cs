namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// Marker for the cluster-mode control messages (joining a run, assignments, end of run). Bound in the embedded
/// cluster-reference.conf to <see cref="ClusterProtocolSerializer"/>. Like the training protocol, identity is the
/// sender's actor ref: a worker node is the node actor that sent <see cref="JoinRun"/>.
/// </summary>
public interface IAkkaByzClusterMessage;

/// <summary>
/// Worker node → aggregator coordinator (through the ClusterSingletonProxy), every join-interval: "I am here, serve
/// me". <paramref name="PreviousIndex"/> is the slot the node held (−1 if none), so that after an aggregator
/// fail-over every worker keeps its shard; <paramref name="Incarnation"/> is the coordinator incarnation it is attached
/// to ("" if none): the coordinator answers only when that is not its own (a new aggregator took over) or the node
/// is unknown. Cheap enough to send every second; it is also how workers find a standby aggregator.
/// <paramref name="Name"/> is the node's name (<see cref="ClusterNodeSettings.WorkerNameOf"/>); without certificates a
/// configured one (a valid name, not the default <c>worker@HOST:PORT</c>) is what a freed slot is kept for — taken on
/// trust, so it only chooses among free slots.
/// </summary>
public sealed record JoinRun(string Name, int PreviousIndex, string Incarnation) : IAkkaByzClusterMessage;

/// <summary>
/// Coordinator → worker node: your slot (shard index) and the run's configuration (the HOCON layers, one source of
/// truth; the node may only override the data path with its own <c>--data</c>). <paramref name="Dimension"/> is d,
/// checked by the worker after composing its model. <paramref name="TapPath"/> is the full path of the adversary tap
/// the aggregator node hosts for an omniscient attack (ALIE, IPM, mimic), "" otherwise: honest workers copy it
/// their updates, Byzantine workers ask it for theirs.
/// <paramref name="ResumeRound"/> is the checkpoint round a fail-over aggregator restored (0 = a fresh start, or a node
/// joining once a later round has completed: it starts with fresh momentum): a worker that recorded its optimizer state
/// at that round continues from it. <paramref name="SnapshotEvery"/> is the
/// checkpoint interval (0 = no checkpoints): workers record their state at those rounds.
/// </summary>
public sealed record RunAssignment(
    string Incarnation, int WorkerIndex, IReadOnlyList<string> ConfigLayers, int Dimension, string TapPath = "", long ResumeRound = 0, int SnapshotEvery = 0)
    : IAkkaByzClusterMessage;

/// <summary>Coordinator → worker node: no slot for you now (all m slots are held); the node keeps asking.</summary>
public sealed record JoinRefused(string Reason) : IAkkaByzClusterMessage;

/// <summary>Coordinator → every node's <c>/user/node</c> actor: the run is over; nodes leave the cluster and exit.</summary>
public sealed record RunFinished(bool Completed, string Reason) : IAkkaByzClusterMessage;
