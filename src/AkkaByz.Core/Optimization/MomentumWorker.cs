using System.Numerics.Tensors;

namespace AkkaByz.Core.Optimization;

/// <summary>
/// Worker momentum (Karimireddy, He &amp; Jaggi 2021; the baseline of Dahan &amp; Levy 2024):
/// m_1 = g_1, m_t = β m_{t−1} + (1 − β) g_t with g_t = clip(∇f(x_t; z_t)) + λ x_t. The worker sends m_t; the server
/// steps x ← x − η·Agg(m) (<see cref="SgdServer"/>).
/// </summary>
public sealed class MomentumWorker : IWorkerOptimizer
{
    private readonly OptimizerOptions _options;
    private float[] _momentum = [];
    private float[] _gradient = [];
    private long _steps, _lastRound;

    public MomentumWorker(OptimizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    public double ComputeUpdate(long round, ReadOnlySpan<float> x, GradientOracle oracle, Span<float> update)
    {
        ArgumentNullException.ThrowIfNull(oracle);
        GradientStep.CheckLengths(x, update, _steps == 0 ? -1 : _momentum.Length);
        GradientStep.CheckRound(round, _lastRound);
        if (_gradient.Length != x.Length) _gradient = new float[x.Length];
        var loss = GradientStep.Evaluate(oracle, x, _gradient, _options.ClipNorm, _options.WeightDecay);
        if (_steps == 0)
        {
            _momentum = (float[])_gradient.Clone();
        }
        else
        {
            var beta = _options.Momentum.Beta;
            // m ← β m + (1 − β) g
            TensorPrimitives.Multiply(_momentum, beta, _momentum);
            TensorPrimitives.MultiplyAdd(_gradient, 1 - beta, _momentum, _momentum);
        }
        _momentum.CopyTo(update);
        _steps++;
        _lastRound = round;
        return loss;
    }

    public OptimizerState GetState() => new MomentumWorkerState(_steps, _lastRound, (float[])_momentum.Clone());

    public void SetState(OptimizerState state)
    {
        if (state is not MomentumWorkerState s)
            throw new ArgumentException($"A momentum worker cannot load a {state?.GetType().Name ?? "null"} state.", nameof(state));
        if (s.Steps > 0 && s.Momentum.Length == 0)
            throw new ArgumentException($"Momentum state after {s.Steps} steps has an empty momentum vector.", nameof(state));
        _steps = s.Steps;
        _lastRound = s.LastRound;
        _momentum = (float[])s.Momentum.Clone();
    }
}
