using Akka.Actor;

namespace AkkaByz.Runtime.Protocol;

/// <summary>
/// Local (cluster host → aggregator): the cluster's failure detector marked <paramref name="Node"/> unreachable
/// (<paramref name="Reachable"/> = false) or reachable again. Workers on an unreachable node are absent: left out of
/// the barrier of the current round (it closes without waiting for the deadline) and of the following rounds until
/// the node is reachable again or its workers are Terminated (downed: removed for good).
/// </summary>
public sealed record NodeReachability(Address Node, bool Reachable) : INoSerializationVerificationNeeded;
