using System.Numerics.Tensors;

namespace AkkaByz.Core.Optimization;

/// <summary>
/// The server half of µ²-SGD (Levy 2023; Dahan &amp; Levy, ICML 2024). Keeps the iterate w and the query point x
/// (x_1 = w_1) and publishes x. At its k-th step, with d̂ the robust aggregate of the workers' estimates:
/// <c>w ← w − η α_k d̂</c> (α_k = 1 practical, α_k = k theory mode), then
/// <c>x ← (1 − γ_k) x + γ_k w</c> with γ_k = max(2/(k+1), γ_min) (γ_1 = 1, so x_2 = w_2).
/// </summary>
public sealed class Mu2SgdServer : IServerOptimizer
{
    private readonly float _eta;
    private readonly Mu2SgdOptions _mu2;
    private float[] _w;
    private float[] _x;
    private long _steps;

    public Mu2SgdServer(OptimizerOptions options, ReadOnlySpan<float> initial)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (initial.Length == 0) throw new ArgumentException("Initial parameters are empty.", nameof(initial));
        _eta = options.LearningRate;
        _mu2 = options.Mu2;
        _w = initial.ToArray();
        _x = initial.ToArray();
    }

    public int Dimension => _x.Length;
    public long Steps => _steps;
    public ReadOnlySpan<float> Query => _x;

    /// <summary>The SGD iterate w (the query point is its weighted average).</summary>
    public ReadOnlySpan<float> Iterate => _w;

    /// <summary>γ_k = max(2/(k+1), γ_min) at the k-th step (k ≥ 1).</summary>
    public static float GammaAt(long k, float gammaMin) => Math.Max((float)(2.0 / (k + 1)), gammaMin);

    public void Step(ReadOnlySpan<float> aggregate)
    {
        if (aggregate.Length != _x.Length)
            throw new ArgumentException($"Aggregate has length {aggregate.Length} but the model has dimension {_x.Length}.", nameof(aggregate));
        var k = _steps + 1;
        var alpha = _mu2.TheoryLearningRate ? (float)k : 1f;
        TensorPrimitives.MultiplyAdd(aggregate, -_eta * alpha, _w, _w);
        var gamma = GammaAt(k, _mu2.GammaMin);
        // x ← (1 − γ) x + γ w  =  x + γ (w − x)
        if (gamma >= 1f) _w.CopyTo(_x, 0);
        else TensorPrimitives.Lerp(_x, _w, gamma, _x);
        _steps = k;
    }

    public OptimizerState GetState() => new Mu2SgdServerState(_steps, (float[])_w.Clone(), (float[])_x.Clone());

    public void SetState(OptimizerState state)
    {
        if (state is not Mu2SgdServerState s)
            throw new ArgumentException($"A µ²-SGD server cannot load a {state?.GetType().Name ?? "null"} state.", nameof(state));
        if (s.Iterate.Length != _x.Length || s.Query.Length != _x.Length)
            throw new ArgumentException(
                $"State has dimensions w={s.Iterate.Length}, x={s.Query.Length} but this server has dimension {_x.Length}.", nameof(state));
        _steps = s.Steps;
        _w = (float[])s.Iterate.Clone();
        _x = (float[])s.Query.Clone();
    }
}
