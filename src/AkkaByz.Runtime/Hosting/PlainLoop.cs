using System.Diagnostics;
using AkkaByz.Core.Attacks;
using AkkaByz.Runtime.Composition;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Hosting;

/// <summary>
/// The same training computation as <see cref="LocalTraining"/> without actors: per round, every worker's
/// <see cref="WorkerComputation"/> in a Parallel.For, the attack (omniscient ones over the honest vectors ordered
/// by worker index, same seeds), the aggregation rule over the vectors in worker order, the server step. Without
/// faults it produces bit-identical parameters to the actor runtime, which makes it both the baseline of the
/// runtime benchmark (overhead = time spent in messaging, serialization-free local delivery, barrier, scheduling)
/// and an oracle for the runtime's determinism.
/// </summary>
public static class PlainLoop
{
    /// <summary>Runs <paramref name="rounds"/> rounds; returns the final query point and the training wall time.</summary>
    /// <param name="afterRound">Called after each round with its number (benchmarks time a window of rounds with it).</param>
    public static (float[] Parameters, double Seconds) Run(RunComponents c, long rounds, Action<long>? afterRound = null)
    {
        var s = c.Settings;
        var m = s.Workers;
        // The same worker assembly as the actor runtime's (which slots are Byzantine, their data and computations).
        var plan = RunPlan.For(c);
        var attack = plan.Attack;
        var computations = new WorkerComputation?[m];
        var byzantineIndex = new int[m];
        foreach (var slot in plan.Slots)
        {
            byzantineIndex[slot.Index] = slot.ByzantineIndex;
            computations[slot.Index] = plan.CreateComputation(slot.Index);
        }
        var server = c.CreateServerOptimizer((float[])c.InitialParameters.Clone());
        var rule = c.CreateAggregator(m, s.Byzantine);
        var vectors = new float[m][];
        var aggregate = new float[server.Dimension];
        var jobs = new List<WorkerComputation.GradientJob>(2 * m);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
        var clock = Stopwatch.StartNew();
        try
        {
            for (long round = 1; round <= rounds; round++)
            {
                var x = server.Query.ToArray();
                var t = round;
                // Every gradient call of the round (µ²-SGD: two per worker) is one parallel item, as the actors schedule them.
                jobs.Clear();
                foreach (var computation in computations)
                    if (computation is not null) jobs.AddRange(computation.Prepare(t, x));
                Parallel.For(0, jobs.Count, parallel, k => jobs[k].Run());
                Parallel.For(0, m, parallel, i =>
                {
                    if (computations[i] is not { } computation) return;
                    var (update, _) = computation.Complete(t, x);
                    if (byzantineIndex[i] >= 0)
                    {
                        var start = RoundProfiler.Start();
                        var crafted = new float[update.Length];
                        attack!.Craft(new AttackContext(t, m, s.Byzantine, byzantineIndex[i], update, [],
                            Seeds.DeriveInt(s.Seed, Seeds.Attack, t, byzantineIndex[i])), crafted);
                        RoundProfiler.Lap(RoundProfiler.Phase.Craft, start);
                        update = crafted;
                    }
                    vectors[i] = update;
                });
                var serial = RoundProfiler.Start();
                if (attack is { NeedsHonestVectors: true })
                {
                    var honest = Enumerable.Range(0, m).Where(i => byzantineIndex[i] < 0).Select(i => vectors[i]).ToArray();
                    for (var i = 0; i < m; i++)
                    {
                        if (byzantineIndex[i] < 0) continue;
                        var crafted = new float[server.Dimension];
                        attack.Craft(new AttackContext(round, m, s.Byzantine, byzantineIndex[i], ReadOnlyMemory<float>.Empty, honest,
                            Seeds.DeriveInt(s.Seed, Seeds.Attack, round, byzantineIndex[i])), crafted);
                        vectors[i] = crafted;
                    }
                }
                serial = RoundProfiler.Lap(RoundProfiler.Phase.Craft, serial);
                rule.Aggregate(vectors, aggregate);
                server.Step(aggregate);
                RoundProfiler.Lap(RoundProfiler.Phase.Aggregate, serial);
                afterRound?.Invoke(round);
            }
            return (server.Query.ToArray(), clock.Elapsed.TotalSeconds);
        }
        finally
        {
            foreach (var computation in computations) computation?.Dispose();
        }
    }
}
