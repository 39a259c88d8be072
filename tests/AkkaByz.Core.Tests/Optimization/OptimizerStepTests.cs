using AkkaByz.Core.Optimization;

namespace AkkaByz.Core.Tests.Optimization;

/// <summary>
/// Steps against sequences computed by hand on a 1-D problem: the round-t minibatch has gradient g_t(x) = 2x − c_t,
/// c = (1, 2, 3), x_1 = 1, η = 0.1.
/// </summary>
public class OptimizerStepTests
{
    private static readonly float[] C = [1f, 2f, 3f];

    private static GradientOracle Oracle(int t) => (x, g) => { g[0] = 2 * x[0] - C[t - 1]; return 0; };

    private static (float[] Updates, float[] Queries) Run(OptimizerOptions options, int rounds = 3)
    {
        var server = OptimizerFactory.CreateServer(options, [1f]);
        var worker = OptimizerFactory.CreateWorker(options);
        var updates = new float[rounds];
        var queries = new float[rounds];
        var u = new float[1];
        for (var t = 1; t <= rounds; t++)
        {
            worker.ComputeUpdate(t, server.Query, Oracle(t), u);
            server.Step(u);
            updates[t - 1] = u[0];
            queries[t - 1] = server.Query[0];
        }
        return (updates, queries);
    }

    private static void Near(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-6, $"step {i + 1}: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Momentum_matches_hand_computed_sequence()
    {
        // g1 = 1, m1 = 1, x2 = 0.9; g2 = -0.2, m2 = 0.88, x3 = 0.812; g3 = -1.376, m3 = 0.6544, x4 = 0.74656
        var (u, x) = Run(OptimizerOptions.For(OptimizerKind.Momentum));
        Near([1f, 0.88f, 0.6544f], u);
        Near([0.9f, 0.812f, 0.74656f], x);
    }

    [Fact]
    public void Sgd_sends_the_gradient_and_steps_plainly()
    {
        // g1 = 1, x2 = 0.9; g2 = -0.2, x3 = 0.92; g3 = -1.16, x4 = 1.036
        var (u, x) = Run(OptimizerOptions.For(OptimizerKind.Sgd));
        Near([1f, -0.2f, -1.16f], u);
        Near([0.9f, 0.92f, 1.036f], x);
    }

    [Fact]
    public void Mu2Sgd_practical_matches_hand_computed_sequence()
    {
        // t1: d1 = g1(1) = 1; w2 = 0.9, γ=1 → x2 = 0.9
        // t2: g2(0.9) = -0.2, g2(1) = 0, β2 = 1/2 → d2 = -0.2 + 0.5·(1 − 0) = 0.3; w3 = 0.87, γ=2/3 → x3 = 0.88
        // t3: g3(0.88) = -1.24, g3(0.9) = -1.2, β3 = 1/3 → d3 = -1.24 + (2/3)(0.3 + 1.2) = -0.24; w4 = 0.894, γ=1/2 → x4 = 0.887
        var options = new OptimizerOptions { Kind = OptimizerKind.Mu2Sgd, Mu2 = new Mu2SgdOptions(BetaMin: 0.01f, GammaMin: 0.01f) };
        var (u, x) = Run(options);
        Near([1f, 0.3f, -0.24f], u);
        Near([0.9f, 0.88f, 0.887f], x);
    }

    [Fact]
    public void Mu2Sgd_theory_mode_scales_the_step_by_alpha_t()
    {
        // t1: d1 = 1; w2 = 1 − 0.1·1·1 = 0.9, x2 = 0.9
        // t2: d2 = 0.3; w3 = 0.9 − 0.1·2·0.3 = 0.84; x3 = 0.9/3 + 2·0.84/3 = 0.86
        // t3: g3(0.86) = -1.28, g3(0.9) = -1.2 → d3 = -1.28 + (2/3)(0.3 + 1.2) = -0.28; w4 = 0.84 + 0.1·3·0.28 = 0.924; x4 = 0.892
        var options = new OptimizerOptions { Kind = OptimizerKind.Mu2Sgd, Mu2 = new Mu2SgdOptions(0.01f, 0.01f, TheoryLearningRate: true) };
        var (u, x) = Run(options);
        Near([1f, 0.3f, -0.28f], u);
        Near([0.9f, 0.86f, 0.892f], x);
    }

    [Fact]
    public void Mu2Sgd_floors_apply()
    {
        // β_min = 0.5, γ_min = 0.6: β = (1, 0.5, 0.5), γ = (1, 2/3, 0.6)
        // t1: d1 = 1, w2 = 0.9, x2 = 0.9; t2: d2 = 0.3 (β2 = 0.5 either way), w3 = 0.87, x3 = 0.88
        // t3: d3 = -1.24 + 0.5·(0.3 + 1.2) = -0.49; w4 = 0.87 + 0.049 = 0.919; x4 = 0.4·0.88 + 0.6·0.919 = 0.9034
        var options = new OptimizerOptions { Kind = OptimizerKind.Mu2Sgd, Mu2 = new Mu2SgdOptions(0.5f, 0.6f) };
        var (u, x) = Run(options);
        Near([1f, 0.3f, -0.49f], u);
        Near([0.9f, 0.88f, 0.9034f], x);
        Assert.Equal(0.5f, Mu2SgdWorker.BetaAt(3, 0.5f));
        Assert.Equal(0.6f, Mu2SgdServer.GammaAt(3, 0.6f));
        Assert.Equal(1f, Mu2SgdServer.GammaAt(1, 0.01f));
    }

    [Fact]
    public void Mu2Sgd_takes_both_gradients_from_the_same_oracle_at_x_t_and_x_t_minus_1()
    {
        var worker = OptimizerFactory.CreateWorker(OptimizerOptions.For(OptimizerKind.Mu2Sgd));
        var u = new float[1];
        var calls = new List<(int Round, float X)>();
        GradientOracle Recording(int round) => (x, g) => { calls.Add((round, x[0])); g[0] = 0; return 0; };
        worker.ComputeUpdate(1, [5f], Recording(1), u);
        worker.ComputeUpdate(2, [7f], Recording(2), u);
        worker.ComputeUpdate(4, [9f], Recording(4), u);
        Assert.Equal([(1, 5f), (2, 7f), (2, 5f), (4, 9f), (4, 7f)], calls);
    }

    [Fact]
    public void Clipping_and_weight_decay_apply_to_each_gradient()
    {
        // g = clip(∇f, c) + λx: ∇f = (3, 4) (norm 5), c = 1 → (0.6, 0.8); λ = 0.5, x = (2, -2) → (1.6, -0.2)
        var options = new OptimizerOptions { Kind = OptimizerKind.Sgd, ClipNorm = 1f, WeightDecay = 0.5f };
        var worker = OptimizerFactory.CreateWorker(options);
        var u = new float[2];
        worker.ComputeUpdate(1, [2f, -2f], (_, g) => { g[0] = 3; g[1] = 4; return 0; }, u);
        Assert.Equal(1.6f, u[0], 1e-6f);
        Assert.Equal(-0.2f, u[1], 1e-6f);
        // Below the threshold the gradient is left alone.
        worker.ComputeUpdate(2, [0f, 0f], (_, g) => { g[0] = 0.3f; g[1] = 0.4f; return 0; }, u);
        Assert.Equal([0.3f, 0.4f], u);
    }

    [Fact]
    public void Bad_inputs_are_rejected_with_clear_errors()
    {
        Assert.Throws<ArgumentException>(() => OptimizerFactory.CreateWorker(new OptimizerOptions { LearningRate = -1 }));
        Assert.Throws<ArgumentException>(() => OptimizerFactory.CreateWorker(new OptimizerOptions { Momentum = new MomentumOptions(1f) }));
        Assert.Throws<ArgumentException>(() => OptimizerFactory.CreateWorker(new OptimizerOptions { Mu2 = new Mu2SgdOptions(0f) }));
        var ex = Assert.Throws<ArgumentException>(() => OptimizerFactory.ParseKind("adam"));
        Assert.Contains("momentum", ex.Message);
        var server = OptimizerFactory.CreateServer(OptimizerOptions.For(OptimizerKind.Mu2Sgd), new float[3]);
        ex = Assert.Throws<ArgumentException>(() => server.Step(new float[2]));
        Assert.Contains("2", ex.Message);
        Assert.Contains("3", ex.Message);
        var worker = OptimizerFactory.CreateWorker(OptimizerOptions.For(OptimizerKind.Momentum));
        var u = new float[1];
        worker.ComputeUpdate(3, [0f], (_, g) => { g[0] = 1; return 0; }, u);
        Assert.Throws<ArgumentException>(() => worker.ComputeUpdate(3, [0f], (_, g) => { g[0] = 1; return 0; }, u));
        Assert.Throws<ArgumentException>(() => worker.ComputeUpdate(4, [0f, 0f], (_, g) => 0, new float[2]));
    }

    [Theory]
    [InlineData("sgd", OptimizerKind.Sgd)]
    [InlineData("momentum", OptimizerKind.Momentum)]
    [InlineData("mu2", OptimizerKind.Mu2Sgd)]
    [InlineData("MU2SGD", OptimizerKind.Mu2Sgd)]
    public void Names_parse(string name, OptimizerKind kind)
    {
        Assert.Equal(kind, OptimizerFactory.ParseKind(name));
        Assert.Equal(kind, OptimizerFactory.ParseKind(OptimizerFactory.NameOf(kind)));
    }
}
