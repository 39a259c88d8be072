using Akka.Actor;
using Akka.Cluster;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// <c>/user/node</c> on an aggregator node (active or standby): ends the process when the run is over — on
/// <see cref="NodeExit"/> from the local coordinator, or on <see cref="RunFinished"/> from the active one (a standby).
/// It records every aggregator node it sees in the cluster (<see cref="AggregatorLineage"/>), and on a standby it says
/// what happens when the active aggregator becomes unreachable or is removed, so a fail-over is never silent.
/// </summary>
public sealed class AggregatorNodeActor : ReceiveActor
{
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly TextWriter? _out;

    public AggregatorNodeActor(TaskCompletionSource<int> exit, TextWriter? output)
    {
        _out = output;
        Receive<NodeExit>(e => exit.TrySetResult(e.Code));
        var security = Security.NodeSecurity.Get(Context.System);
        Receive<RunFinished>(f => !security.IsAggregator(Sender), f => security.RefuseMessage(f, Sender, "not-from-aggregator"));
        Receive<RunFinished>(f =>
        {
            // The active coordinator finished: a standby has nothing to take over any more.
            if (exit.TrySetResult(f.Completed ? 0 : 3)) Print($"the run is over ({f.Reason}); leaving");
        });
        var lineage = AggregatorLineage.Get(Context.System);
        Receive<ClusterEvent.MemberUp>(m => { if (m.Member.HasRole("aggregator")) lineage.Saw(m.Member.UniqueAddress); });
        Receive<ClusterEvent.MemberJoined>(m => { if (m.Member.HasRole("aggregator")) lineage.Saw(m.Member.UniqueAddress); });
        Receive<ClusterEvent.UnreachableMember>(u =>
        {
            if (!u.Member.HasRole("aggregator") || !IsActiveBeforeMe(u.Member)) return;
            var downing = Context.System.Settings.Config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after", TimeSpan.FromSeconds(20), false);
            Print($"the active aggregator {u.Member.Address} is unreachable; unless it comes back, it is downed after ~{downing.TotalSeconds:0.#} s " +
                  "and this standby takes over the run from the last checkpoint");
        });
        Receive<ClusterEvent.ReachableMember>(r =>
        {
            if (r.Member.HasRole("aggregator") && IsActiveBeforeMe(r.Member)) Print($"the active aggregator {r.Member.Address} is reachable again; this node stays the standby");
        });
        Receive<ClusterEvent.MemberRemoved>(r =>
        {
            if (!r.Member.HasRole("aggregator") || r.Member.UniqueAddress.Equals(_cluster.SelfUniqueAddress)) return;
            var next = Oldest();
            if (next is not null && next.UniqueAddress.Equals(_cluster.SelfUniqueAddress))
            {
                var margin = Context.System.Settings.Config.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after", TimeSpan.FromSeconds(20), false);
                Print($"aggregator {r.Member.Address} was removed from the cluster ({r.PreviousStatus}); this node takes over the run once Akka's removal " +
                      $"margin has passed (~{margin.TotalSeconds:0.#} s), restoring the last checkpoint");
            }
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.IReachabilityEvent>(_ => { });
    }

    public static Props Props(TaskCompletionSource<int> exit, TextWriter? output) =>
        Akka.Actor.Props.Create(() => new AggregatorNodeActor(exit, output));

    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    /// <summary>The oldest Up aggregator node (the one that hosts the run).</summary>
    private Member? Oldest()
    {
        Member? oldest = null;
        foreach (var m in _cluster.State.Members)
            if (m.Status == MemberStatus.Up && m.HasRole("aggregator") && (oldest is null || m.IsOlderThan(oldest))) oldest = m;
        return oldest;
    }

    /// <summary>True when <paramref name="member"/> is another aggregator node older than this one (it hosts the run; this one stands by).</summary>
    private bool IsActiveBeforeMe(Member member)
    {
        if (member.UniqueAddress.Equals(_cluster.SelfUniqueAddress)) return false;
        var self = _cluster.State.Members.FirstOrDefault(m => m.UniqueAddress.Equals(_cluster.SelfUniqueAddress));
        return self is not null && member.IsOlderThan(self);
    }

    private void Print(string line) => _out?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {line}");
}
