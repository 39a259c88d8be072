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

/// <summary>
/// Config discovery on an aggregator node: the FIRST contact point of the list founds the cluster, as the first seed
/// node does. It joins itself once it answers its own probe, the required number of contact points answered and the
/// list has been stable for stable-margin; every other node, standby aggregators included, only joins what a contact
/// point reports. Akka.Management's lowest-address rule decides among the contact points that have answered so far: a
/// standby started while the founder's first answer was still on its way formed a second cluster here (measured: the
/// fail-over test's standby did, 3 s after start, with the founder's cluster 8 s old).
/// </summary>
public sealed class FirstContactJoinDecider : LowestAddressJoinDecider
{
    private readonly bool _founder;
    private readonly string _self;

    public FirstContactJoinDecider(ActorSystem system, ClusterBootstrapSettings settings) : base(system, settings)
    {
        var config = system.Settings.Config;
        var first = config.GetStringList("akka.discovery.config.services.akkabyz.endpoints").FirstOrDefault() ?? "";
        _self = $"{config.GetString("akka.management.http.hostname", "")}:{config.GetInt("akka.management.http.port", 0)}";
        _founder = Same(first, _self);
    }

    /// <summary>True when this node's management endpoint is the first contact point.</summary>
    public bool IsFounder => _founder;

    public override Task<IJoinDecision> Decide(SeedNodesInformation info)
    {
        if (info.HasSeedNodes || !_founder) return info.HasSeedNodes ? base.Decide(info) : Task.FromResult<IJoinDecision>(KeepProbing.Instance);
        var selfAnswered = info.SeedNodesObservations.Any(o => Same($"{o.ContactPoint.Host}:{o.ContactPoint.Port}", _self));
        var ready = selfAnswered && HasEnoughContactPoints(info) && IsPastStableMargin(info);
        return Task.FromResult<IJoinDecision>(ready && Settings.NewClusterEnabled ? JoinSelf.Instance : KeepProbing.Instance);
    }

    private static bool Same(string a, string b)
    {
        if (string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase)) return true;
        var (ca, cb) = (a.LastIndexOf(':'), b.LastIndexOf(':'));
        if (ca <= 0 || cb <= 0 || a[(ca + 1)..] != b[(cb + 1)..]) return false;
        return System.Net.IPAddress.TryParse(a[..ca], out var x) && System.Net.IPAddress.TryParse(b[..cb], out var y) && x.Equals(y);
    }
}
