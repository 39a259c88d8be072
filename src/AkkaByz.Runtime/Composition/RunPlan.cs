using AkkaByz.Core.Attacks;
using AkkaByz.Core.Data;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Composition;

/// <summary>
/// One worker slot of a run as <see cref="RunPlan"/> assigns it: honest, or Byzantine with its index among the
/// Byzantine workers (the attack's seed stream is (run seed, round, that index)).
/// </summary>
/// <param name="Index">The slot, 0..m−1 (also its shard and its minibatch stream).</param>
/// <param name="ByzantineIndex">−1 for an honest slot; 0..f−1 for a Byzantine one.</param>
public sealed record WorkerSlot(int Index, int ByzantineIndex)
{
    public bool IsByzantine => ByzantineIndex >= 0;
}

/// <summary>
/// The worker assembly of a run, written once for the three places that run workers — the local actor system
/// (<c>Hosting.LocalTraining</c>), a worker node (<c>Cluster.WorkerNodeActor</c>, one slot) and the
/// actor-free <c>Hosting.PlainLoop</c> — so that they compute the same thing bit for bit:
/// <list type="bullet">
/// <item>which slots are Byzantine: the last f when there is an attack (<see cref="AkkaByzSettings.IsByzantine"/>), none
/// when the attack is <c>none</c> or f = 0; Byzantine index = slot − (m − f);</item>
/// <item>which data a slot trains on: the training set, or for a Byzantine slot of a data-poisoning attack (LF) the set
/// with the attack's labels (Core's <see cref="LabelTransforms.TransformLabels"/>, features shared, made once per plan);</item>
/// <item>its computation: the plan's one model pool, shared by all its slots (a gradient call rents an instance: about
/// one per core; <c>akkabyz.compute.share-models = off</c> gives each slot a pool of its own, two instances for µ²-SGD's
/// two concurrent gradients), its own optimizer state, its shard's minibatch stream (run seed, slot); none for a Byzantine slot of an
/// omniscient attack (ALIE, IPM, ...), whose update the adversary crafts from the honest ones;</item>
/// <item>the attack: <see cref="Attack"/>, the run's instance (for the adversary tap and the label transform), and
/// <see cref="CreateAttack"/>, a fresh instance per Byzantine worker.</item>
/// </list>
/// Free of actors; the actor side (which actor class, its faults) is <c>Hosting.WorkerProps</c>.
/// </summary>
public sealed class RunPlan
{
    private readonly Lazy<DataSet> _poisoned;
    private readonly Lock _gate = new();
    private ModelPool? _shared;

    private RunPlan(RunComponents components)
    {
        Components = components;
        var s = components.Settings;
        Attack = s.IsNoAttack || s.Byzantine == 0 ? null : components.CreateAttack?.Invoke();
        var slots = new WorkerSlot[s.Workers];
        for (var i = 0; i < slots.Length; i++)
            slots[i] = new WorkerSlot(i, Attack is not null && s.IsByzantine(i) ? i - (s.Workers - s.Byzantine) : -1);
        Slots = slots;
        _poisoned = new Lazy<DataSet>(() => Attack is null ? components.Train : LabelTransforms.TransformLabels(components.Train, Attack));
    }

    /// <summary>The plan of the run composed as <paramref name="components"/>.</summary>
    public static RunPlan For(RunComponents components)
    {
        ArgumentNullException.ThrowIfNull(components);
        return new RunPlan(components);
    }

    public RunComponents Components { get; }

    public AkkaByzSettings Settings => Components.Settings;

    /// <summary>The run's attack instance; null when every worker is honest.</summary>
    public IAttack? Attack { get; }

    /// <summary>True for an attack that crafts from the honest vectors of the round (ALIE, IPM, ...): the run hosts an adversary tap.</summary>
    public bool IsOmniscient => Attack is { NeedsHonestVectors: true };

    /// <summary>Every slot, 0..m−1.</summary>
    public IReadOnlyList<WorkerSlot> Slots { get; }

    /// <summary>A fresh attack instance for a Byzantine worker (its own state).</summary>
    /// <exception cref="InvalidOperationException">The run has no attack.</exception>
    public IAttack CreateAttack() =>
        Attack is null ? throw new InvalidOperationException("This run has no Byzantine workers.") : Components.CreateAttack!();

    /// <summary>The data slot <paramref name="slot"/> trains on: the label-transformed set for a Byzantine slot, the training set otherwise.</summary>
    public DataSet DataOf(int slot) => Slots[slot].IsByzantine ? _poisoned.Value : Components.Train;

    /// <summary>
    /// The computation of slot <paramref name="slot"/>: null for a Byzantine slot of an omniscient attack (it computes
    /// nothing). The caller owns (disposes) it.
    /// </summary>
    public WorkerComputation? CreateComputation(int slot)
    {
        if (Slots[slot].IsByzantine && IsOmniscient) return null;
        var c = Components;
        var s = c.Settings;
        ModelPool models;
        if (!s.Compute.ShareModels) models = new ModelPool(c.CreateModel(), c.CreateModel);
        else lock (_gate) models = _shared ??= new ModelPool(c.CreateModel(), c.CreateModel);
        return WorkerComputation.For(models, c.CreateWorkerOptimizer(slot), DataOf(slot), c.Shards[slot], s.BatchSize, s.Seed, slot, s.Compute);
    }
}
