using System.Numerics.Tensors;

namespace AkkaByz.Core.Optimization;

/// <summary>
/// The worker half of µ²-SGD (Levy 2023; Dahan &amp; Levy, ICML 2024): a STORM-style corrected estimate.
/// In its t-th update the worker draws ONE minibatch z (the round's <see cref="GradientOracle"/>) and computes
/// <c>d_t = g(x_t; z) + (1 − β_t)(d_{t−1} − g(x_{t−1}; z))</c>, β_t = max(1/t, β_min), d_1 = g(x_1; z),
/// where g(x; z) = clip(∇f(x; z)) + λx and x_{t−1} is the query point of the worker's previous update.
/// The worker sends d_t.
/// </summary>
/// <remarks>t counts this worker's own updates, so a worker that missed rounds keeps a consistent recursion.</remarks>
public sealed class Mu2SgdWorker : IWorkerOptimizer
{
    private readonly OptimizerOptions _options;
    private float[] _previousX = [];
    private float[] _estimate = [];
    private float[] _gradientAtPrevious = [];
    private long _steps, _lastRound;

    public Mu2SgdWorker(OptimizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>β_t = max(1/t, β_min) for the worker's t-th update (t ≥ 1).</summary>
    public static float BetaAt(long t, float betaMin) => Math.Max((float)(1.0 / t), betaMin);

    public double ComputeUpdate(long round, ReadOnlySpan<float> x, GradientOracle oracle, Span<float> update)
    {
        ArgumentNullException.ThrowIfNull(oracle);
        GradientStep.CheckLengths(x, update, _steps == 0 ? -1 : _estimate.Length);
        GradientStep.CheckRound(round, _lastRound);
        var clip = _options.ClipNorm;
        var decay = _options.WeightDecay;
        // update ← g(x_t; z)
        var loss = GradientStep.Evaluate(oracle, x, update, clip, decay);
        if (_steps == 0)
        {
            _estimate = update.ToArray();
            _previousX = x.ToArray();
            _gradientAtPrevious = new float[x.Length];
        }
        else
        {
            var t = _steps + 1;
            var keep = 1 - BetaAt(t, _options.Mu2.BetaMin);
            // g(x_{t−1}; z) on the same minibatch
            GradientStep.Evaluate(oracle, _previousX, _gradientAtPrevious, clip, decay);
            // d_t = g(x_t) + (1 − β_t)(d_{t−1} − g(x_{t−1}))
            TensorPrimitives.Subtract(_estimate, _gradientAtPrevious, _estimate);
            TensorPrimitives.MultiplyAdd(_estimate, keep, update, update);
            update.CopyTo(_estimate);
            x.CopyTo(_previousX);
        }
        _steps++;
        _lastRound = round;
        return loss;
    }

    public OptimizerState GetState() =>
        new Mu2SgdWorkerState(_steps, _lastRound, (float[])_previousX.Clone(), (float[])_estimate.Clone());

    public void SetState(OptimizerState state)
    {
        if (state is not Mu2SgdWorkerState s)
            throw new ArgumentException($"A µ²-SGD worker cannot load a {state?.GetType().Name ?? "null"} state.", nameof(state));
        if (s.PreviousQuery.Length != s.PreviousEstimate.Length)
            throw new ArgumentException(
                $"µ²-SGD worker state is inconsistent: x_(t-1) has length {s.PreviousQuery.Length}, d_(t-1) has length {s.PreviousEstimate.Length}.",
                nameof(state));
        if (s.Steps > 0 && s.PreviousQuery.Length == 0)
            throw new ArgumentException($"µ²-SGD worker state after {s.Steps} steps has empty vectors.", nameof(state));
        _steps = s.Steps;
        _lastRound = s.LastRound;
        _previousX = (float[])s.PreviousQuery.Clone();
        _estimate = (float[])s.PreviousEstimate.Clone();
        _gradientAtPrevious = new float[_previousX.Length];
    }
}
