using AkkaByz.Core.Optimization;

namespace AkkaByz.Core.Tests.Optimization;

public class OptimizerStateTests
{
    private static GradientOracle Oracle(int t) => (x, g) =>
    {
        for (var j = 0; j < x.Length; j++) g[j] = (j + 1) * x[j] - MathF.Sin(t + j);
        return 0;
    };

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Momentum)]
    [InlineData(OptimizerKind.Mu2Sgd)]
    public void State_round_trips_and_a_restored_pair_continues_identically(OptimizerKind kind)
    {
        var options = OptimizerOptions.For(kind) with { ClipNorm = 2f, WeightDecay = 1e-3f };
        var server = OptimizerFactory.CreateServer(options, [0.5f, -1f, 2f]);
        var worker = OptimizerFactory.CreateWorker(options);
        var u = new float[3];
        for (var t = 1; t <= 3; t++) { worker.ComputeUpdate(t, server.Query, Oracle(t), u); server.Step(u); }

        var workerState = worker.GetState();
        var serverState = server.GetState();
        var loadedWorker = OptimizerState.FromBytes(workerState.ToBytes());
        var loadedServer = OptimizerState.FromBytes(serverState.ToBytes());
        Assert.Equal(workerState, loadedWorker);
        Assert.Equal(serverState, loadedServer);
        Assert.Equal(workerState.GetHashCode(), loadedWorker.GetHashCode());
        Assert.NotSame(workerState, loadedWorker);

        var worker2 = OptimizerFactory.CreateWorker(options);
        worker2.SetState(loadedWorker);
        var server2 = OptimizerFactory.CreateServer(options, new float[3]);
        server2.SetState(loadedServer);
        var u2 = new float[3];
        for (var t = 4; t <= 6; t++)
        {
            worker.ComputeUpdate(t, server.Query, Oracle(t), u);
            server.Step(u);
            worker2.ComputeUpdate(t, server2.Query, Oracle(t), u2);
            server2.Step(u2);
            Assert.Equal(u, u2);
        }
        Assert.Equal(server.GetState(), server2.GetState());
        Assert.Equal(worker.GetState(), worker2.GetState());
        // And the states did move on from the snapshot (the comparison can fail).
        Assert.NotEqual(serverState, server.GetState());
    }

    [Fact]
    public void Snapshots_are_copies()
    {
        var options = OptimizerOptions.For(OptimizerKind.Mu2Sgd);
        var server = OptimizerFactory.CreateServer(options, [1f, 2f]);
        var before = (Mu2SgdServerState)server.GetState();
        server.Step([1f, 1f]);
        Assert.Equal(new Mu2SgdServerState(0, [1f, 2f], [1f, 2f]), before);
    }

    [Fact]
    public void Equality_is_by_value_over_arrays()
    {
        Assert.Equal(new MomentumWorkerState(2, 5, [1f, float.NaN]), new MomentumWorkerState(2, 5, [1f, float.NaN]));
        Assert.NotEqual(new MomentumWorkerState(2, 5, [1f, 2f]), new MomentumWorkerState(2, 5, [1f, 2.0001f]));
        Assert.NotEqual<OptimizerState>(new SgdServerState(1, [1f]), new Mu2SgdServerState(1, [1f], [1f]));
    }

    [Fact]
    public void Wrong_kind_or_dimension_and_corrupt_bytes_are_rejected()
    {
        var options = OptimizerOptions.For(OptimizerKind.Mu2Sgd);
        var worker = OptimizerFactory.CreateWorker(options);
        Assert.Throws<ArgumentException>(() => worker.SetState(new MomentumWorkerState(1, 1, [1f])));
        var server = OptimizerFactory.CreateServer(options, new float[3]);
        Assert.Throws<ArgumentException>(() => server.SetState(new Mu2SgdServerState(1, [1f], [1f])));
        var bytes = new Mu2SgdServerState(1, [1f, 2f], [3f, 4f]).ToBytes();
        Assert.Throws<InvalidDataException>(() => OptimizerState.FromBytes(bytes[..^3]));
        bytes[0] = (byte)'X';
        Assert.Throws<InvalidDataException>(() => OptimizerState.FromBytes(bytes));
    }
}
