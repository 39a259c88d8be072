using Akka.Actor;

namespace AkkaByz.Runtime.Cluster;

/// <summary>
/// <c>/user/node</c> on an aggregator node (active or standby): ends the process when the run is over — on
/// <see cref="NodeExit"/> from the local coordinator, or on <see cref="RunFinished"/> from the active one (a standby).
/// </summary>
public sealed class AggregatorNodeActor : ReceiveActor
{
    public AggregatorNodeActor(TaskCompletionSource<int> exit, TextWriter? output)
    {
        Receive<NodeExit>(e => exit.TrySetResult(e.Code));
        var security = Security.NodeSecurity.Get(Context.System);
        Receive<RunFinished>(f => !security.IsAggregator(Sender), f => security.RefuseMessage(f, Sender, "not-from-aggregator"));
        Receive<RunFinished>(f =>
        {
            // The active coordinator finished: a standby has nothing to take over any more.
            if (exit.TrySetResult(f.Completed ? 0 : 3)) output?.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] the run is over ({f.Reason}); leaving");
        });
    }

    public static Props Props(TaskCompletionSource<int> exit, TextWriter? output) =>
        Akka.Actor.Props.Create(() => new AggregatorNodeActor(exit, output));
}
