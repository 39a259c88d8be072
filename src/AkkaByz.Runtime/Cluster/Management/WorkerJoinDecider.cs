using Akka.Actor;
using Akka.Management.Cluster.Bootstrap;

namespace AkkaByz.Runtime.Cluster.Management;

/// <summary>
/// Cluster bootstrap's join decision on a worker node: join the cluster a contact point reports, never form a new one.
/// Only aggregator nodes are contact points, so a worker is never the lowest of them; without this the base decider
/// warned on every probe that the worker's own endpoint is not among the contact points.
/// </summary>
public sealed class WorkerJoinDecider(ActorSystem system, ClusterBootstrapSettings settings) : LowestAddressJoinDecider(system, settings)
{
    public override Task<IJoinDecision> Decide(SeedNodesInformation info) =>
        info.HasSeedNodes ? base.Decide(info) : Task.FromResult<IJoinDecision>(KeepProbing.Instance);
}
