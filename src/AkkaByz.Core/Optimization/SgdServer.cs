using System.Numerics.Tensors;

namespace AkkaByz.Core.Optimization;

/// <summary>
/// Plain server step, shared by SGD and worker momentum: x ← x − η·agg. The query point is the iterate itself.
/// </summary>
public sealed class SgdServer : IServerOptimizer
{
    private readonly float _eta;
    private float[] _x;
    private long _steps;

    public SgdServer(OptimizerOptions options, ReadOnlySpan<float> initial)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (initial.Length == 0) throw new ArgumentException("Initial parameters are empty.", nameof(initial));
        _eta = options.LearningRate;
        _x = initial.ToArray();
    }

    public int Dimension => _x.Length;
    public long Steps => _steps;
    public ReadOnlySpan<float> Query => _x;

    public void Step(ReadOnlySpan<float> aggregate)
    {
        if (aggregate.Length != _x.Length)
            throw new ArgumentException($"Aggregate has length {aggregate.Length} but the model has dimension {_x.Length}.", nameof(aggregate));
        TensorPrimitives.MultiplyAdd(aggregate, -_eta, _x, _x);
        _steps++;
    }

    public OptimizerState GetState() => new SgdServerState(_steps, (float[])_x.Clone());

    public void SetState(OptimizerState state)
    {
        if (state is not SgdServerState s)
            throw new ArgumentException($"An SGD/momentum server cannot load a {state?.GetType().Name ?? "null"} state.", nameof(state));
        if (s.Iterate.Length != _x.Length)
            throw new ArgumentException($"State has dimension {s.Iterate.Length} but this server has dimension {_x.Length}.", nameof(state));
        _steps = s.Steps;
        _x = (float[])s.Iterate.Clone();
    }
}
