namespace AkkaByz.Core.Optimization;

/// <summary>Plain SGD worker: sends g_t = clip(∇f(x_t; z)) + λ x_t.</summary>
public sealed class SgdWorker : IWorkerOptimizer
{
    private readonly OptimizerOptions _options;
    private long _steps, _lastRound;

    public SgdWorker(OptimizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    public double ComputeUpdate(long round, ReadOnlySpan<float> x, GradientOracle oracle, Span<float> update)
    {
        ArgumentNullException.ThrowIfNull(oracle);
        GradientStep.CheckLengths(x, update, -1);
        GradientStep.CheckRound(round, _lastRound);
        var loss = GradientStep.Evaluate(oracle, x, update, _options.ClipNorm, _options.WeightDecay);
        _steps++;
        _lastRound = round;
        return loss;
    }

    public OptimizerState GetState() => new SgdWorkerState(_steps, _lastRound);

    public void SetState(OptimizerState state)
    {
        if (state is not SgdWorkerState s)
            throw new ArgumentException($"An SGD worker cannot load a {state?.GetType().Name ?? "null"} state.", nameof(state));
        _steps = s.Steps;
        _lastRound = s.LastRound;
    }
}
