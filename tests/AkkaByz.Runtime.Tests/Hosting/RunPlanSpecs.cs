using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Hosting;
using AkkaByz.Runtime.Tests.Doubles;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Tests.Hosting;

/// <summary>The run plan: which slots are Byzantine, what each trains on and computes (one assembly for local runs, worker nodes and PlainLoop).</summary>
public sealed class RunPlanSpecs
{
    private const string Base = "akkabyz { workers = 7, byzantine = 2, attack = ATTACK, rounds = 5, batch-size = 4 }";

    private static RunPlan Plan(string attack, Core.Attacks.IAttack? instance, string extra = "") =>
        RunPlan.For(LocalTrainingSpecs.Fakes(Base.Replace("ATTACK", attack).Replace(" }", extra + " }"), attack: instance));

    [Fact]
    public void The_last_f_slots_are_byzantine_numbered_from_zero_and_none_without_an_attack_or_with_f_0()
    {
        var plan = Plan("sf", new FakeSignFlip());
        Assert.Equal([-1, -1, -1, -1, -1, 0, 1], plan.Slots.Select(s => s.ByzantineIndex));
        Assert.Equal(Enumerable.Range(0, 7), plan.Slots.Select(s => s.Index));
        Assert.NotNull(plan.Attack);
        Assert.False(plan.IsOmniscient);

        Assert.All(Plan("none", null).Slots, s => Assert.False(s.IsByzantine));
        Assert.Null(Plan("none", null).Attack);
        var honestOnly = Plan("sf", new FakeSignFlip(), ", byzantine = 0");
        Assert.All(honestOnly.Slots, s => Assert.False(s.IsByzantine));
        Assert.Null(honestOnly.Attack);
        Assert.Throws<InvalidOperationException>(() => honestOnly.CreateAttack());
    }

    [Fact]
    public void A_byzantine_slot_of_a_label_attack_trains_on_the_transformed_labels_with_the_features_shared()
    {
        var plan = Plan("lf", AttackCatalog.Factory("lf")!());
        var train = plan.Components.Train;
        Assert.Same(train, plan.DataOf(0));
        var poisoned = plan.DataOf(6);
        Assert.Same(poisoned, plan.DataOf(5)); // made once
        Assert.NotSame(train, poisoned);
        Assert.Same(train.Features, poisoned.Features);
        Assert.Equal(train.Labels.Select(l => train.ClassCount - 1 - l), poisoned.Labels);
        using var computation = plan.CreateComputation(6);
        Assert.NotNull(computation);
    }

    [Fact]
    public void A_byzantine_slot_of_an_omniscient_attack_computes_nothing_and_honest_slots_compute_their_own_stream()
    {
        var plan = Plan("ipm", new FakeInnerProduct());
        Assert.True(plan.IsOmniscient);
        Assert.Null(plan.CreateComputation(5));
        Assert.Null(plan.CreateComputation(6));

        // Slot i's computation is worker i's: its shard, its minibatch stream (run seed, i), its optimizer.
        var c = plan.Components;
        using var fromPlan = plan.CreateComputation(3)!;
        using var byHand = WorkerComputation.For(c.CreateModel(), c.CreateWorkerOptimizer(3), c.Train, c.Shards[3], c.Settings.BatchSize, c.Settings.Seed, 3);
        var x = c.InitialParameters;
        for (long round = 1; round <= 3; round++)
            Assert.Equal(byHand.Compute(round, x).Update, fromPlan.Compute(round, x).Update);
    }

    [Fact]
    public void A_byzantine_slot_gets_a_byzantine_worker_actor_and_an_honest_one_a_worker_actor()
    {
        var plan = Plan("sf", new FakeSignFlip());
        var honest = WorkerProps.For(plan, 0, "w0", Akka.Actor.ActorRefs.Nobody, plan.CreateComputation(0), null);
        var byzantine = WorkerProps.For(plan, 6, "w6", Akka.Actor.ActorRefs.Nobody, plan.CreateComputation(6), null);
        Assert.Equal(typeof(AkkaByz.Runtime.Actors.WorkerActor), honest.Type);
        Assert.Equal(typeof(AkkaByz.Runtime.Actors.ByzantineWorkerActor), byzantine.Type);
        Assert.Throws<ArgumentNullException>(() => WorkerProps.For(plan, 1, "w1", Akka.Actor.ActorRefs.Nobody, null, null));
    }
}
