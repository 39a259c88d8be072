using Akka.Actor;
using AkkaByz.Runtime.Actors;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Faults;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Hosting;

/// <summary>
/// The actor of one worker slot of a <see cref="RunPlan"/>, the same for a local run and a worker node: a
/// <see cref="ByzantineWorkerActor"/> (a fresh attack instance, the slot's Byzantine index) for a Byzantine slot, a
/// <see cref="WorkerActor"/> otherwise, both with the slot's faults (<see cref="WorkerFaults.From"/>).
/// </summary>
public static class WorkerProps
{
    /// <param name="computation">The slot's computation (<see cref="RunPlan.CreateComputation"/>, possibly with a state
    /// log attached): null only for a Byzantine slot of an omniscient attack.</param>
    /// <param name="tap">The adversary tap (omniscient attacks), or null.</param>
    public static Props For(RunPlan plan, int slot, string name, IActorRef aggregator, WorkerComputation? computation, IActorRef? tap)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var s = plan.Settings;
        var faults = WorkerFaults.From(s, slot);
        var worker = plan.Slots[slot];
        if (worker.IsByzantine)
            return ByzantineWorkerActor.Props(slot, name, aggregator, faults, plan.CreateAttack(), worker.ByzantineIndex,
                s.Workers, s.Byzantine, s.Seed, computation, tap);
        return WorkerActor.Props(slot, name, aggregator,
            computation ?? throw new ArgumentNullException(nameof(computation), $"honest slot {slot} needs its computation."), faults, tap);
    }
}
