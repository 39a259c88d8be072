using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace AkkaByz.Runtime.Metrics;

/// <summary>
/// A cluster node's watcher of the membership, for the Meter and the dashboard: members up by role, unreachable
/// members, and fail-overs — the oldest aggregator node (the one hosting the run's coordinator) removed after being
/// downed (a crash or a cut-off, not a graceful leave) while another aggregator node remains, which takes the run over.
/// Each change is published as a <see cref="ClusterObservation"/>. It also points the Meter's transport and security
/// counters at this node's actor system. It only reads cluster events; it changes nothing.
/// </summary>
public sealed class ClusterObserverActor : ReceiveActor
{
    private const string AggregatorRole = "aggregator";
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly Dictionary<UniqueAddress, Member> _members = [];
    private readonly HashSet<UniqueAddress> _unreachable = [];

    public ClusterObserverActor()
    {
        Receive<ClusterEvent.MemberUp>(e => Upsert(e.Member, $"{Describe(e.Member)} up"));
        Receive<ClusterEvent.MemberWeaklyUp>(e => Upsert(e.Member, $"{Describe(e.Member)} weakly up"));
        Receive<ClusterEvent.MemberJoined>(e => Upsert(e.Member, $"{Describe(e.Member)} joining"));
        Receive<ClusterEvent.MemberLeft>(e => Upsert(e.Member, $"{Describe(e.Member)} leaving"));
        Receive<ClusterEvent.MemberExited>(e => Upsert(e.Member, $"{Describe(e.Member)} exiting"));
        Receive<ClusterEvent.MemberRemoved>(e =>
        {
            var oldest = OldestAggregator();
            _members.Remove(e.Member.UniqueAddress);
            _unreachable.Remove(e.Member.UniqueAddress);
            var failOver = oldest is not null && oldest.UniqueAddress.Equals(e.Member.UniqueAddress)
                           && e.PreviousStatus == MemberStatus.Down && OldestAggregator() is not null;
            if (failOver) AkkaByzTelemetry.FailOver();
            Publish(failOver
                ? $"{Describe(e.Member)} removed (downed): fail-over to {OldestAggregator()!.Address}"
                : $"{Describe(e.Member)} removed", failOver);
        });
        Receive<ClusterEvent.UnreachableMember>(e =>
        {
            _unreachable.Add(e.Member.UniqueAddress);
            Publish($"{Describe(e.Member)} unreachable", false);
        });
        Receive<ClusterEvent.ReachableMember>(e =>
        {
            _unreachable.Remove(e.Member.UniqueAddress);
            Publish($"{Describe(e.Member)} reachable again", false);
        });
        Receive<ClusterEvent.IMemberEvent>(e => Upsert(e.Member, $"{Describe(e.Member)} {e.Member.Status.ToString().ToLowerInvariant()}"));
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new ClusterObserverActor());

    protected override void PreStart()
    {
        AkkaByzTelemetry.Observe(Context.System);
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private static string Describe(Member m) => $"{(m.HasRole(AggregatorRole) ? "aggregator" : "worker")} {m.Address.Host}:{m.Address.Port}";

    private Member? OldestAggregator() => _members.Values
        .Where(m => m.HasRole(AggregatorRole) && m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Exiting)
        .Aggregate((Member?)null, (oldest, m) => oldest is null || m.IsOlderThan(oldest) ? m : oldest);

    private void Upsert(Member member, string what)
    {
        _members[member.UniqueAddress] = member;
        Publish(what, false);
    }

    private void Publish(string what, bool failOver)
    {
        var up = _members.Values.Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp).ToArray();
        var observation = new ClusterObservation(DateTime.UtcNow, up.Count(m => m.HasRole(AggregatorRole)), up.Count(m => !m.HasRole(AggregatorRole)),
            _unreachable.Count, what, failOver);
        AkkaByzTelemetry.Cluster(observation);
        try { RunFeed.Cluster(observation); }
        catch (Exception e) { Context.GetLogger().Warning("Run feed listener failed: {0}", e.Message); }
    }
}
