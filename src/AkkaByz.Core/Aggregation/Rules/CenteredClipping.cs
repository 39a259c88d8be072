using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// CC(τ, L), centered clipping (Karimireddy, He &amp; Jaggi, "Learning from history for Byzantine robust
/// optimization", ICML 2021): v ← v + (1/m) Σ_i (x_i − v) · min(1, τ / ‖x_i − v‖), L times, v starting at the
/// previous call's output. <b>Stateful</b>: the previous output is this rule's <see cref="AggregatorState"/> slot, so a
/// checkpoint carries it and instances for different (m, f) sharing one state continue one another. The first call
/// (no previous output, or one of another length) starts from the coordinate-wise median (ByzFL starts from 0, which
/// makes the first rounds depend on the origin). Every iterate is a convex combination a·v_0 + Σ_j β_j x_j, so only
/// (a, β) is kept: each iteration is one fused pass (per block, v's block in double from v_0 and the rows, then each
/// row's distance to it from the cached rows, <see cref="DistanceKernels.SquaredDistancesToCombination"/>), and one
/// weighted sum writes v_L: L + 1 passes in all, plus copying v_L into the state. A zero distance counts as unclipped.
/// Defaults τ = 10, L = 1; f only sets the builder's bound (f &lt; m/2).
/// </summary>
public sealed class CenteredClipping : AggregatorBase
{
    /// <summary>Default clipping radius τ.</summary>
    public const double DefaultTau = 10;

    /// <summary>Default number of iterations L.</summary>
    public const int DefaultIterations = 1;

    private readonly double[] _coef;
    private readonly double[] _dist;
    private readonly float[][] _rows;
    private readonly CoordinateWiseMedian _start;
    private AggregatorState.Slot _slot = new();

    public CenteredClipping(int m, int f, double tau = DefaultTau, int iterations = DefaultIterations) : base(m, f)
    {
        if (!(tau > 0) || !double.IsFinite(tau)) throw new ArgumentOutOfRangeException(nameof(tau), $"Centered clipping needs a finite tau > 0, got {tau}.");
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), $"Centered clipping needs iters ≥ 1, got {iterations}.");
        Tau = tau;
        Iterations = iterations;
        _coef = new double[m + 1];
        _dist = new double[m + 1];
        _rows = new float[m + 1][];
        _start = new CoordinateWiseMedian(m, f);
    }

    /// <summary>τ, the clipping radius around the current centre.</summary>
    public double Tau { get; }

    /// <summary>L, the clipping iterations per call.</summary>
    public int Iterations { get; }

    /// <inheritdoc />
    public override string Spec => Tau == DefaultTau && Iterations == DefaultIterations
        ? "cc"
        : Iterations == DefaultIterations ? FormattableString.Invariant($"cc(tau={Tau:R})")
        : Tau == DefaultTau ? $"cc(iters={Iterations})" : FormattableString.Invariant($"cc(iters={Iterations},tau={Tau:R})");

    internal override bool HasState => true;

    internal override void BindState(AggregatorState state, ref int next) => _slot = state[next++];

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        int m = M, d = output.Length;
        var v0 = _slot.Vector;
        if (v0.Length != d)
        {
            // First call: start from the coordinate-wise median (checks finiteness too).
            v0 = GC.AllocateUninitializedArray<float>(d);
            _start.AggregateCore(inputs, v0, checkFinite);
        }
        for (int i = 0; i < m; i++) _rows[i] = inputs[i];
        _rows[m] = v0;
        Array.Clear(_coef);
        _coef[m] = 1; // v = v_0
        double inv = 1.0 / m;
        try
        {
            for (int t = 0; t < Iterations; t++)
            {
                if (!DistanceKernels.SquaredDistancesToCombination(_rows, _coef, d, _dist, Scratch)) NonFinite.ThrowIfAny(inputs, d);
                // v ← v + (1/m) Σ s_i (x_i − v) = (1 − Σ s_i / m) v + Σ (s_i / m) x_i, s_i = min(1, τ / ‖x_i − v‖).
                double moved = 0;
                for (int i = 0; i < m; i++)
                {
                    double r = Math.Sqrt(_dist[i]);
                    double s = r > Tau ? Tau / r : 1;
                    _dist[i] = s * inv;
                    moved += _dist[i];
                }
                double keep = 1 - moved;
                for (int j = 0; j <= m; j++) _coef[j] *= keep;
                for (int i = 0; i < m; i++) _coef[i] += _dist[i];
            }
            if (!LinearKernels.WeightedSum(_rows, _coef, output, Scratch)) FailNonFinite(inputs, d, "The clipped centre");
        }
        finally
        {
            Array.Clear(_rows); // hold no reference to the caller's vectors between calls
        }
        if (_slot.Vector.Length != d) _slot.Vector = v0; // reuse the start buffer as the state's vector
        output.CopyTo(_slot.Vector);
        _slot.Counter++;
        return AggregationReport.None;
    }
}
