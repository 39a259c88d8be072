using AkkaByz.Core.Optimization;

namespace AkkaByz.Core.Tests.Optimization;

/// <summary>
/// A noisy convex quadratic f(x) = ½ Σ_j λ_j (x_j − x*_j)² with stochastic gradients ∇f(x; z) = Λ(x − x*) + σ ξ_z,
/// ξ_z ~ N(0, I) fixed per minibatch z (so µ²-SGD's two gradients on one z share the noise).
/// </summary>
internal sealed class NoisyQuadratic
{
    private readonly double[] _lambda;
    private readonly double[] _optimum;

    public NoisyQuadratic(int dimension, double lambdaMin, double lambdaMax, double sigma, int seed)
    {
        var rng = new Random(seed);
        _lambda = Enumerable.Range(0, dimension).Select(j => lambdaMin + (lambdaMax - lambdaMin) * j / Math.Max(1, dimension - 1)).ToArray();
        _optimum = Enumerable.Range(0, dimension).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
        Sigma = sigma;
    }

    public int Dimension => _lambda.Length;
    public double Sigma { get; }

    /// <summary>f(x) − f* in double.</summary>
    public double Suboptimality(ReadOnlySpan<float> x)
    {
        double s = 0;
        for (var j = 0; j < x.Length; j++) { var e = x[j] - _optimum[j]; s += 0.5 * _lambda[j] * e * e; }
        return s;
    }

    /// <summary>The oracle of minibatch z (its noise drawn from <paramref name="seed"/>).</summary>
    public GradientOracle Oracle(int seed)
    {
        var rng = new Random(seed);
        var noise = Enumerable.Range(0, Dimension).Select(_ => Sigma * Gaussian(rng)).ToArray();
        return (x, g) =>
        {
            for (var j = 0; j < x.Length; j++) g[j] = (float)(_lambda[j] * (x[j] - _optimum[j]) + noise[j]);
            return Suboptimality(x);
        };
    }

    /// <summary>Runs <paramref name="rounds"/> single-worker rounds from x = 0; returns the final suboptimality.</summary>
    public double Run(OptimizerOptions options, int rounds, int seed)
    {
        var server = OptimizerFactory.CreateServer(options, new float[Dimension]);
        var worker = OptimizerFactory.CreateWorker(options);
        var update = new float[Dimension];
        for (var t = 1; t <= rounds; t++)
        {
            worker.ComputeUpdate(t, server.Query, Oracle(AkkaByz.Core.Attacks.GaussianAttack.Scramble(unchecked(seed * 1_000_003 + t))), update);
            server.Step(update);
        }
        return Suboptimality(server.Query);
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
