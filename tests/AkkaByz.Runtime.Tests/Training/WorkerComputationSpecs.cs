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
    [InlineData(false, false, 1)]
    [InlineData(true, false, 2)]
    [InlineData(true, true, 1)]
    public async Task The_schedule_decides_the_jobs_and_the_lookahead_but_never_the_updates(bool split, bool lookahead, int jobsFromRoundThree)
    {
        var options = OptimizerOptions.For(OptimizerKind.Mu2Sgd);
        var shard = Enumerable.Range(0, 30).ToArray();
        using var plain = WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 9, worker: 2);
        using var scheduled = WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 9, worker: 2,
            createHelper: () => new FakeQuadraticModel(D), schedule: new ComputeSettings(split, lookahead));
        var lookaheads = 0;
        for (long r = 1; r <= 6; r++)
        {
            var (expected, _) = plain.Compute(r, X(r));
            var jobs = scheduled.Prepare(r, X(r)).ToArray();
            if (r >= 3) Assert.Equal(jobsFromRoundThree, jobs.Length);
            var ahead = scheduled.TakeLookahead();
            foreach (var job in jobs) job.Run();
            if (ahead is not null) await ahead;
            Assert.Equal(expected, scheduled.Complete(r, X(r)).Update);
            if (scheduled.BeginLookahead() is { } next) { lookaheads++; await next; }
        }
        Assert.Equal(split && lookahead ? 5 : 0, lookaheads); // from round 1's end on: µ²-SGD queries two points from round 2
    }

    /// <summary>One round as the worker actor runs it with the lookahead: last round's lookahead joins the round's jobs.</summary>
    private static async Task<(float[] Update, double Loss)> RoundWithLookahead(WorkerComputation c, long round, float[] x)
    {
        var jobs = c.Prepare(round, x).ToArray();
        var ahead = c.TakeLookahead();
        await Task.WhenAll(jobs.Select(j => Task.Run(j.Run)).Append(ahead ?? Task.CompletedTask));
        var result = c.Complete(round, x);
        var next = c.BeginLookahead();
        if (next is not null) await next;
        return result;
    }

    [Fact]
    public async Task The_lookahead_computes_next_rounds_second_gradient_early_with_bit_identical_updates()
    {
        var options = OptimizerOptions.For(OptimizerKind.Mu2Sgd);
        var shard = Enumerable.Range(0, 30).ToArray();
        using var plain = WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 9, worker: 2);
        var primary = new CountingModel(D);
        var helper = new CountingModel(D);
        using var split = WorkerComputation.For(primary, OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 9, worker: 2, createHelper: () => helper);

        for (long r = 1; r <= 8; r++)
        {
            var (expected, expectedLoss) = plain.Compute(r, X(r));
            var jobs = split.Prepare(r, X(r)).ToArray();
            var ahead = split.TakeLookahead();
            if (r >= 3)
            {
                Assert.Single(jobs); // only the call at the new point: the other one was started after last round
                Assert.NotNull(ahead);
            }
            await Task.WhenAll(jobs.Select(j => Task.Run(j.Run)).Append(ahead ?? Task.CompletedTask));
            var calls = primary.Calls + helper.Calls;
            var (update, loss) = split.Complete(r, X(r));
            Assert.Equal(expected, update); // bitwise for floats
            Assert.Equal(expectedLoss, loss);
            if (r >= 3) Assert.Equal(calls, primary.Calls + helper.Calls); // both gradients served: none computed in Complete
            var next = split.BeginLookahead();
            if (r >= 2) Assert.NotNull(next);
            if (next is not null) await next;
        }
        // Every gradient computed exactly once: round 1 one, rounds 2..8 two each, and the lookahead after round 8.
        Assert.Equal(1 + 7 * 2 + 1, primary.Calls + helper.Calls);
    }

    [Fact]
    public async Task A_lookahead_for_a_round_that_does_not_come_next_or_after_a_restore_is_discarded()
    {
        var options = OptimizerOptions.For(OptimizerKind.Mu2Sgd);
        var shard = Enumerable.Range(0, 30).ToArray();
        using var plain = WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 3, worker: 0);
        using var split = WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 3, worker: 0,
            createHelper: () => new FakeQuadraticModel(D));
        foreach (var r in new long[] { 1, 2, 3, 5, 6, 9, 10, 11 }) // skipped rounds: the lookahead was for round r-1+1
        {
            var (expected, _) = plain.Compute(r, X(r));
            Assert.Equal(expected, (await RoundWithLookahead(split, r, X(r))).Update);
        }

        // A restored state (aggregator fail-over) makes the optimizer's previous point the restored one: a lookahead
        // taken at the old point must not be served.
        using var donor = WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(options), Data, shard, 4, seed: 3, worker: 0);
        donor.StateLog = new WorkerStateLog(every: 4);
        for (long r = 1; r <= 4; r++) donor.Compute(r, X(r + 100));
        Assert.True(donor.StateLog.TryGet(4, out var restored));
        plain.Restore(restored);
        split.Restore(restored);
        for (long r = 12; r <= 14; r++)
        {
            var (expected, _) = plain.Compute(r, X(r));
            Assert.Equal(expected, (await RoundWithLookahead(split, r, X(r))).Update);
        }
    }
}
