using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Meta;

/// <summary>
/// Shared shape of the clipping pre-aggregators: one pass computes every input's squared norm (in double), the rule
/// picks a scale s_i ≤ 1 per input, the inputs with s_i &lt; 1 are copied scaled into rows rented from the shared
/// pool for the call (<see cref="AggregationScratch"/>; the others are passed on by reference, not copied), and the
/// inner rule A runs on the result; a coordinate-wise A runs block by block on scaled copies of each block, and
/// A = Mean is one weighted-sum pass with weights s_i / m (no copies). Reports A's report (clipped vector i stands
/// for input i).
/// </summary>
public abstract class NormClipping : AggregatorBase
{
    private readonly AggregatorBase _inner;
    private readonly double[] _norm2;
    private readonly double[] _scale;
    private readonly float[][] _view;
    private readonly float[]?[] _copies;
    private readonly int[] _which;
    private readonly double[] _whichScale;
    private readonly float[][] _whichDst;
    private readonly nint[] _whichAddr;

    private protected NormClipping(AggregatorBase inner) : base(inner.M, inner.F)
    {
        _inner = inner;
        _norm2 = new double[M];
        _scale = new double[M];
        _view = new float[M][];
        _copies = new float[M][];
        _which = new int[M];
        _whichScale = new double[M];
        _whichDst = new float[M][];
        _whichAddr = new nint[M];
    }

    /// <summary>The inner rule A.</summary>
    public IAggregator Inner => _inner;

    internal override bool HasState => _inner.HasState;

    internal override void BindState(AggregatorState state, ref int next) => _inner.BindState(state, ref next);

    /// <summary>Fills <paramref name="scale"/>[i] ≤ 1 from the norms ‖x_i‖ (1 = unchanged).</summary>
    private protected abstract void Scales(ReadOnlySpan<double> norms, Span<double> scale);

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        int d = output.Length, m = M;
        if (!DistanceKernels.SquaredNorms(inputs, d, _norm2, Scratch)) NonFinite.ThrowIfAny(inputs, d);
        for (int i = 0; i < m; i++) _norm2[i] = Math.Sqrt(_norm2[i]);
        Scales(_norm2, _scale);
        if (_inner is Rules.Mean)
        {
            // A = Mean is linear: the mean of the clipped inputs is Σ (s_i / m) x_i, one weighted-sum pass after the
            // norms' pass, with no scaled copy (double accumulation, as Mean's).
            for (int i = 0; i < m; i++) _whichScale[i] = _scale[i] / m;
            if (!LinearKernels.WeightedSum(inputs, _whichScale, output, Scratch) && checkFinite)
                FailNonFinite(inputs, d, "The mean of the clipped inputs");
            return AggregationReport.None;
        }
        if (_inner.IsCoordinateWise) return Blocked(inputs, output);
        int count = 0;
        for (int i = 0; i < m; i++)
        {
            if (_scale[i] < 1)
            {
                _which[count] = i;
                _whichScale[count] = _scale[i];
                count++;
            }
            else _view[i] = inputs[i];
        }
        // The scaled copies: rows rented from the shared pool for this call (the unclipped inputs are passed by reference).
        VectorPool.Rent(count, d, _whichDst, _whichAddr);
        for (int r = 0; r < count; r++) _view[_which[r]] = _whichDst[r];
        try
        {
            LinearKernels.ScaleRows(inputs, _which, _whichScale, _whichDst, count, d);
            return _inner.AggregateCore(_view, output, checkFinite: false);
        }
        finally
        {
            Array.Clear(_view); // hold no reference to the caller's vectors between calls
            VectorPool.Return(_whichDst, count);
        }
    }

    /// <summary>
    /// Coordinate-wise A: block by block of coordinates, every row's block is copied (scaled where s_i &lt; 1) into an
    /// m × block scratch and A aggregates it into the output's block: m × block floats of scratch instead of one
    /// d-vector per clipped input.
    /// </summary>
    private AggregationReport Blocked(IReadOnlyList<float[]> inputs, Span<float> output)
    {
        int d = output.Length, m = M;
        int block = Math.Min(d, CoordinateBlock(m));
        for (int i = 0; i < m; i++)
        {
            var copy = _copies[i];
            if (copy is null || copy.Length < block) _copies[i] = GC.AllocateUninitializedArray<float>(block);
            _view[i] = _copies[i]!;
            _which[i] = i;
            _whichScale[i] = _scale[i];
        }
        AggregationReport report = AggregationReport.None;
        try
        {
            for (int b = 0; b < d; b += block)
            {
                int n = Math.Min(block, d - b);
                LinearKernels.ScaleRows(inputs, _which, _whichScale, _view, m, n, start: b);
                report = _inner.AggregateCore(_view, output.Slice(b, n), checkFinite: false);
            }
            return report;
        }
        finally
        {
            Array.Clear(_view);
        }
    }
}

/// <summary>
/// Static clipping, then A: x_i ← x_i · min(1, c / ‖x_i‖) (every input scaled to norm ≤ c), then A on the clipped
/// vectors. Default c = 2 (ByzFL's default). Not translation-equivariant (it scales towards the origin).
/// </summary>
public sealed class StaticClipping : NormClipping
{
    /// <summary>Default threshold c.</summary>
    public const double DefaultThreshold = 2.0;

    private readonly bool _default;

    /// <param name="inner">A, built for the same m and f.</param>
    /// <param name="threshold">c &gt; 0.</param>
    public StaticClipping(AggregatorBase inner, double threshold = DefaultThreshold) : base(inner)
    {
        if (!(threshold > 0) || !double.IsFinite(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), $"Clipping needs a finite threshold c > 0, got {threshold}.");
        Threshold = threshold;
        _default = threshold == DefaultThreshold;
    }

    /// <summary>c, the norm every input is clipped to.</summary>
    public double Threshold { get; }

    /// <inheritdoc />
    public override string Spec => _default ? $"clip({Inner.Spec})" : FormattableString.Invariant($"clip(c={Threshold:R},{Inner.Spec})");

    private protected override void Scales(ReadOnlySpan<double> norms, Span<double> scale)
    {
        for (int i = 0; i < norms.Length; i++) scale[i] = norms[i] > Threshold ? Threshold / norms[i] : 1;
    }
}

/// <summary>
/// ARC, adaptive robust clipping (Allouah, Guerraoui, Gupta, Pinot &amp; Rizk, "Boosting robustness by clipping
/// gradients in distributed learning", 2024), then A: with k = ⌊2 (f/m) (m − f)⌋, the k inputs of largest norm are
/// clipped to the norm of the (k+1)-th largest; the others are unchanged. Identical inputs stay identical; not
/// translation-equivariant.
/// </summary>
public sealed class AdaptiveRobustClipping : NormClipping
{
    private readonly int[] _order;
    private readonly double[] _keys;

    /// <param name="inner">A, built for the same m and f.</param>
    public AdaptiveRobustClipping(AggregatorBase inner) : base(inner)
    {
        Clipped = ClippedCount(M, F);
        _order = new int[M];
        _keys = new double[M];
    }

    /// <summary>k = ⌊2 f (m − f) / m⌋, the number of inputs clipped (computed in integers).</summary>
    public static int ClippedCount(int m, int f) => (int)(2L * f * (m - f) / m);

    /// <summary>k for this instance's (m, f).</summary>
    public int Clipped { get; }

    /// <inheritdoc />
    public override string Spec => $"arc({Inner.Spec})";

    private protected override void Scales(ReadOnlySpan<double> norms, Span<double> scale)
    {
        scale.Fill(1);
        if (Clipped == 0) return;
        for (int i = 0; i < norms.Length; i++) { _order[i] = i; _keys[i] = -norms[i]; }
        Array.Sort(_keys, _order); // largest norm first; equal norms clip to the same value, so their order does not matter
        double threshold = -_keys[Clipped];
        for (int r = 0; r < Clipped; r++)
        {
            int i = _order[r];
            if (norms[i] > threshold) scale[i] = threshold / norms[i];
        }
    }
}
