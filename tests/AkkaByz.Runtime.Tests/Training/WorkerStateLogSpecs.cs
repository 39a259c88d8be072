using AkkaByz.Core.Optimization;
using AkkaByz.Runtime.Tests.Doubles;
using AkkaByz.Runtime.Training;

namespace AkkaByz.Runtime.Tests.Training;

/// <summary>
/// A worker resumed from the state it recorded at a checkpoint round produces exactly the updates it would have
/// produced without the interruption (what makes an aggregator fail-over invisible in the parameters).
/// </summary>
public sealed class WorkerStateLogSpecs
{
    private const int D = 3;
    private static readonly Core.Data.DataSet Data = FakeData.Rows(40, D);

    private static WorkerComputation Computation(OptimizerKind kind) =>
        WorkerComputation.For(new FakeQuadraticModel(D), OptimizerFactory.CreateWorker(OptimizerOptions.For(kind)), Data,
            Enumerable.Range(0, 20).ToArray(), 4, seed: 5, worker: 0);

    private static float[] X(long round) => [0.1f * round, -0.2f * round, 0.3f];

    [Theory]
    [InlineData(OptimizerKind.Mu2Sgd)]
    [InlineData(OptimizerKind.Momentum)]
    public void A_worker_resumed_from_its_recorded_state_continues_bit_for_bit(OptimizerKind kind)
    {
        using var uninterrupted = Computation(kind);
        uninterrupted.StateLog = new WorkerStateLog(every: 5);
        var expected = new List<float[]>();
        for (long r = 1; r <= 12; r++)
        {
            var (update, _) = uninterrupted.Compute(r, X(r));
            if (r > 10) expected.Add(update);
        }
        Assert.Equal([5L, 10L], uninterrupted.StateLog.Rounds);

        // A new worker (as after a fail-over to checkpoint round 10) restores round 10's state and goes on.
        using var resumed = Computation(kind);
        Assert.True(uninterrupted.StateLog.TryGet(10, out var state));
        resumed.Restore(state);
        for (long r = 11; r <= 12; r++) Assert.Equal(expected[(int)(r - 11)], resumed.Compute(r, X(r)).Update);

        // Without the state the momentum restarts and the updates differ.
        using var fresh = Computation(kind);
        Assert.NotEqual(expected[0], fresh.Compute(11, X(11)).Update);
    }

    [Fact]
    public void The_log_keeps_only_the_newest_states_at_multiples_of_its_interval()
    {
        var log = new WorkerStateLog(every: 2, capacity: 2);
        Assert.False(log.Wants(0));
        Assert.False(log.Wants(3));
        Assert.True(log.Wants(4));
        foreach (var r in new long[] { 2, 4, 6 }) log.Record(r, new SgdWorkerState(r, r));
        Assert.Equal([4L, 6L], log.Rounds);
        Assert.False(log.TryGet(2, out _));
        Assert.False(new WorkerStateLog(0).Wants(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WorkerStateLog(-1));
    }
}
