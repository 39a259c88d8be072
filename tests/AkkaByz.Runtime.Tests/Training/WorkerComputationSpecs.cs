using AkkaByz.Core.Data;
using AkkaByz.Core.Models;
using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Configuration;
using AkkaByz.Runtime.Tests.Doubles;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Tests.Training;

/// <summary>
/// The split form of a worker's round (<see cref="WorkerComputation.Prepare"/>, the jobs on their own threads,
/// <see cref="WorkerComputation.Complete"/>) computes exactly what <see cref="WorkerComputation.Compute"/> computes, and
/// computes each gradient once.
/// </summary>
public sealed class WorkerComputationSpecs
{
    private const int D = 5;
    private static readonly DataSet Data = FakeData.Rows(60, D);

    private sealed class CountingModel(int dimension) : IGradientModel
    {
        private readonly FakeQuadraticModel _inner = new(dimension);
        public int Calls;
        public string Name => _inner.Name;
        public int ParameterCount => _inner.ParameterCount;
        public void Initialize(Span<float> parameters, int seed) => _inner.Initialize(parameters, seed);
        public double LossAndGradient(ReadOnlySpan<float> parameters, DataSet data, ReadOnlySpan<int> batch, Span<float> gradient)
        {
            Interlocked.Increment(ref Calls);
            return _inner.LossAndGradient(parameters, data, batch, gradient);
        }
        public Evaluation Evaluate(ReadOnlySpan<float> parameters, DataSet data) => _inner.Evaluate(parameters, data);
        public void Dispose() => _inner.Dispose();
    }

    private static float[] X(long round) => [0.1f * round, -0.2f * round, 0.3f, 1f / round, -0.05f * round * round];

    [Theory]
    [InlineData(OptimizerKind.Mu2Sgd, 2)]
    [InlineData(OptimizerKind.Momentum, 1)]
    [InlineData(OptimizerKind.Sgd, 1)]
    public async Task Prepared_jobs_run_concurrently_give_the_same_updates_as_compute(OptimizerKind kind, int jobsFromRoundThree)
    {
        var options = OptimizerOptions.For(kind);
        var shard = Enumerable.Range(0, 30).ToArray();
        using var plain = WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 9, worker: 2);
        var primary = new CountingModel(D);
        var helpers = new List<CountingModel>();
        using var split = WorkerComputation.For(primary, OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 9, worker: 2,
            createHelper: () => { var h = new CountingModel(D); helpers.Add(h); return h; });

        for (long r = 1; r <= 8; r++)
        {
            var (expected, expectedLoss) = plain.Compute(r, X(r));
            var jobs = split.Prepare(r, X(r)).ToArray();
            if (r >= 3) Assert.Equal(jobsFromRoundThree, jobs.Length);
            var calls = primary.Calls + helpers.Sum(h => h.Calls);
            await Task.WhenAll(jobs.Select(j => Task.Run(j.Run)));
            var (update, loss) = split.Complete(r, X(r));
            Assert.Equal(expected, update); // bitwise for floats
            Assert.Equal(expectedLoss, loss);
            if (r >= 3) Assert.Equal(calls + jobs.Length, primary.Calls + helpers.Sum(h => h.Calls)); // every gradient served by a job
        }
        // A second instance only when two calls ran at once (µ²-SGD's two jobs overlapped), and never more than one.
        Assert.InRange(helpers.Count, 0, kind == OptimizerKind.Mu2Sgd ? 1 : 0);
    }

    [Fact]
    public void A_round_whose_points_were_not_prepared_is_computed_on_demand_with_the_same_result()
    {
        var options = OptimizerOptions.For(OptimizerKind.Mu2Sgd);
        var shard = Enumerable.Range(0, 30).ToArray();
        using var plain = WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 3, worker: 0);
        using var split = WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 3, worker: 0,
            createHelper: () => new FakeQuadraticModel(D));
        foreach (var r in new long[] { 1, 2, 3, 5, 6, 9 }) // skipped rounds: last round's point is not the previous round's
        {
            var (expected, _) = plain.Compute(r, X(r));
            foreach (var job in split.Prepare(r, X(r))) job.Run();
            Assert.Equal(expected, split.Complete(r, X(r)).Update);
        }
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public void The_schedule_decides_the_jobs_but_never_the_updates(bool split, int jobsFromRoundThree)
    {
        var options = OptimizerOptions.For(OptimizerKind.Mu2Sgd);
        var shard = Enumerable.Range(0, 30).ToArray();
        using var plain = WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 9, worker: 2);
        using var scheduled = WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 9, worker: 2,
            createHelper: () => new FakeQuadraticModel(D), schedule: new ComputeSettings(split));
        for (long r = 1; r <= 6; r++)
        {
            var (expected, _) = plain.Compute(r, X(r));
            var jobs = scheduled.Prepare(r, X(r)).ToArray();
            if (r >= 3) Assert.Equal(jobsFromRoundThree, jobs.Length);
            foreach (var job in jobs) job.Run();
            Assert.Equal(expected, scheduled.Complete(r, X(r)).Update);
        }
    }

    [Fact]
    public async Task After_a_restore_the_prepared_second_gradient_is_not_served_from_the_old_point()
    {
        // A restored state (aggregator fail-over) makes the optimizer's previous point the restored one: the second job,
        // prepared at the computation's own last point, must not be handed out (or served) for the next round.
        var options = OptimizerOptions.For(OptimizerKind.Mu2Sgd);
        var shard = Enumerable.Range(0, 30).ToArray();
        using var plain = WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 3, worker: 0);
        using var split = WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 3, worker: 0,
            createHelper: () => new FakeQuadraticModel(D));
        async Task<float[]> Round(long r)
        {
            await Task.WhenAll(WorkerComputation.RunJobs(split.Prepare(r, X(r))));
            return split.Complete(r, X(r)).Update;
        }
        for (long r = 1; r <= 5; r++) Assert.Equal(plain.Compute(r, X(r)).Update, await Round(r));

        using var donor = WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 3, worker: 0);
        donor.StateLog = new WorkerStateLog(every: 4);
        for (long r = 1; r <= 4; r++) donor.Compute(r, X(r + 100));
        Assert.True(donor.StateLog.TryGet(4, out var restored));
        plain.Restore(restored);
        split.Restore(restored);
        for (long r = 6; r <= 8; r++) Assert.Equal(plain.Compute(r, X(r)).Update, await Round(r));
    }
}
