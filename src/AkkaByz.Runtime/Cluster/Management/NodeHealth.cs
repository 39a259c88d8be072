using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AkkaByz.Runtime.Cluster.Management;

/// <summary>
/// What the management port's <c>/alive</c> and <c>/ready</c> report for this node (an extension per actor system).
/// Alive: the actor system runs. Ready: this node is an Up member and does its part of the run: an aggregator node
/// hosts the running coordinator, or is a standby behind an older Up aggregator node; a worker node has been assigned a
/// slot by the coordinator and runs its worker actor for it. Nothing here is input from the network: both answers are
/// computed from this node's own state.
/// </summary>
public sealed class NodeHealth : IExtension
{
    private readonly ExtendedActorSystem _system;
    private volatile int _slot = -1;
    private volatile bool _finished;

    public NodeHealth(ExtendedActorSystem system) => _system = system;

    public static NodeHealth Get(ActorSystem system) => system.WithExtension<NodeHealth, NodeHealthProvider>();

    /// <summary>A worker node: the slot its worker actor runs for (−1 = none yet, or the worker stopped).</summary>
    public int WorkerSlot
    {
        get => _slot;
        set => _slot = value;
    }

    /// <summary>The run is over and the node is leaving: no longer ready (still alive until it exits).</summary>
    public void Finished() => _finished = true;

    /// <summary>Alive while the actor system has not terminated.</summary>
    public bool IsAlive => !_system.WhenTerminated.IsCompleted;

    /// <summary>The readiness verdict and its reason (a short phrase for the response body).</summary>
    public async Task<(bool Ready, string Reason)> ReadinessAsync()
    {
        if (!IsAlive) return (false, "the actor system has terminated");
        if (_finished) return (false, "the run is over; the node is leaving");
        var cluster = Akka.Cluster.Cluster.Get(_system);
        var self = cluster.SelfMember;
        if (self.Status == MemberStatus.Removed) return (false, "not a cluster member (yet): discovering or joining");
        if (self.Status != MemberStatus.Up) return (false, $"cluster member status {self.Status}, not Up");
        if (self.HasRole("aggregator"))
        {
            var oldest = cluster.State.Members.Where(m => m.Status == MemberStatus.Up && m.HasRole("aggregator"))
                .Aggregate((Member?)null, (o, m) => o is null || m.IsOlderThan(o) ? m : o);
            if (oldest is not null && !oldest.Address.Equals(self.Address)) return (true, $"standby aggregator (the coordinator runs on {oldest.Address})");
            // The singleton's coordinator, a local child of this node's ClusterSingletonManager (from the ActorRegistry).
            if (!ActorRegistry.For(_system).TryGet<ClusterNode.CoordinatorSingleton>(out var manager))
                return (false, "oldest aggregator node, singleton manager not started yet");
            try
            {
                var coordinator = await _system.ActorSelection(manager.Path / ClusterNode.CoordinatorName).ResolveOne(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                return (true, $"coordinator running ({coordinator.Path.ToStringWithoutAddress()})");
            }
            catch (ActorNotFoundException)
            {
                return (false, "oldest aggregator node, coordinator not started yet");
            }
        }
        var slot = _slot;
        return slot >= 0 ? (true, $"worker of slot {slot}") : (false, "worker node waiting for a slot from the coordinator");
    }
}

/// <summary>
/// The node's Akka.Hosting health checks (<c>WithHealthCheck</c>): liveness (tag <see cref="LivenessTag"/>) and
/// readiness (tag <see cref="ReadinessTag"/>), both from <see cref="NodeHealth"/>; the management endpoint's
/// <c>/alive</c> and <c>/ready</c> run them through Microsoft.Extensions.Diagnostics.HealthChecks' HealthCheckService.
/// </summary>
public sealed class NodeHealthCheck(bool readiness) : IAkkaHealthCheck
{
    public const string LivenessTag = "liveness";
    public const string ReadinessTag = "readiness";

    public async Task<HealthCheckResult> CheckHealthAsync(AkkaHealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = NodeHealth.Get(context.ActorSystem);
        if (!readiness)
            return health.IsAlive ? HealthCheckResult.Healthy("actor system running") : new HealthCheckResult(context.Registration.FailureStatus, "actor system terminated");
        var (ready, reason) = await health.ReadinessAsync().ConfigureAwait(false);
        return ready ? HealthCheckResult.Healthy(reason) : new HealthCheckResult(context.Registration.FailureStatus, reason);
    }
}

/// <summary>Extension id of <see cref="NodeHealth"/>.</summary>
public sealed class NodeHealthProvider : ExtensionIdProvider<NodeHealth>
{
    public override NodeHealth CreateExtension(ExtendedActorSystem system) => new(system);
}
