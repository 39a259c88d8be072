using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Meta;

/// <summary>
/// CTMA(f), the Centered Trimmed Meta-Aggregator (Dahan &amp; Levy, "Fault Tolerant ML: Efficient Meta-Aggregation
/// and Synchronous Training", ICML 2024): anchor x0 = A(x_1..x_m); r_i = ‖x_i − x0‖; S = the m − f indices with the
/// smallest r_i (ties by lowest index, so exactly m − f are kept); output x0 + (1/(m−f)) Σ_{i∈S}(x_i − x0), i.e. the
/// mean of S. Suspects reported: the f indices outside S. Extra cost over A: two passes (distances to x0, mean of S)
/// plus O(m log m).
/// The weighted form (<see cref="AggregateWeighted"/>) keeps the closest points until their weight reaches
/// (1 − δ)Σ s_i with δ = f/m, the boundary point counted fractionally.
/// </summary>
public sealed class Ctma : AggregatorBase
{
    private readonly AggregatorBase _anchorRule;
    private readonly double[] _r;
    private readonly double[] _w;
    private float[] _anchor = Array.Empty<float>();

    /// <param name="anchorRule">A, the baseline whose output is the anchor x0 (built for the same m and f).</param>
    public Ctma(AggregatorBase anchorRule) : base(anchorRule.M, anchorRule.F)
    {
        _anchorRule = anchorRule;
        _r = new double[M];
        _w = new double[M];
    }

    /// <summary>The anchor rule A.</summary>
    public IAggregator AnchorRule => _anchorRule;

    internal override bool HasState => _anchorRule.HasState;

    internal override void BindState(AggregatorState state, ref int next) => _anchorRule.BindState(state, ref next);

    /// <inheritdoc />
    public override string Spec => $"ctma({_anchorRule.Spec})";

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        Anchor(inputs, output.Length, checkFinite);
        var order = InputValidation.OrderByKeyThenIndex(_r);
        int keep = M - F;
        Array.Clear(_w);
        var selected = new int[keep];
        for (int j = 0; j < keep; j++) { selected[j] = order[j]; _w[order[j]] = 1.0 / keep; }
        Array.Sort(selected);
        LinearKernels.WeightedSum(inputs, _w, output, Scratch);
        return new AggregationReport(InputValidation.Complement(M, selected), selected);
    }

    /// <summary>
    /// Weighted CTMA: workers carry weights s_i ≥ 0 (e.g. sample counts). With δ = f/m, the points closest to the
    /// anchor A(x) are kept in order (ties by index) until their weight reaches (1 − δ)Σ s, the boundary point counted
    /// fractionally; output Σ w'_i x_i / Σ w'_i with w' the kept weights. Equal weights give the unweighted rule.
    /// Suspects: inputs with no kept weight. (The anchor is A on the unweighted inputs.)
    /// </summary>
    /// <exception cref="ArgumentException">Bad inputs (as <see cref="IAggregator.Aggregate"/>) or weights of the
    /// wrong count, negative, non-finite or summing to 0.</exception>
    public AggregationReport AggregateWeighted(IReadOnlyList<float[]> inputs, ReadOnlySpan<double> weights, Span<float> output)
    {
        InputValidation.ValidateShape(inputs, M, output.Length);
        if (weights.Length != M)
            throw new ArgumentException($"Expected {M} weights (one per input), got {weights.Length}.", nameof(weights));
        double total = 0;
        for (int i = 0; i < M; i++)
        {
            if (!double.IsFinite(weights[i]) || weights[i] < 0)
                throw new ArgumentException($"Weight {i} is {weights[i]}; weights must be finite and ≥ 0.", nameof(weights));
            total += weights[i];
        }
        if (!(total > 0)) throw new ArgumentException("The weights sum to 0.", nameof(weights));

        Anchor(inputs, output.Length, checkFinite: true);
        var order = InputValidation.OrderByKeyThenIndex(_r);
        double target = (1.0 - (double)F / M) * total, acc = 0;
        Array.Clear(_w);
        var kept = new List<int>(M);
        foreach (int i in order)
        {
            if (acc >= target) break;
            double take = Math.Min(weights[i], target - acc);
            if (take <= 0) continue;
            _w[i] = take;
            acc += take;
            kept.Add(i);
        }
        for (int i = 0; i < M; i++) _w[i] /= acc;
        kept.Sort();
        LinearKernels.WeightedSum(inputs, _w, output, Scratch);
        return new AggregationReport(InputValidation.Complement(M, kept), kept.ToArray());
    }

    /// <summary>Computes x0 = A(x) into the reusable anchor buffer and r_i² into _r (squared distances rank like
    /// distances).</summary>
    private void Anchor(IReadOnlyList<float[]> inputs, int d, bool checkFinite)
    {
        if (_anchor.Length != d) _anchor = new float[d];
        _anchorRule.AggregateCore(inputs, _anchor, checkFinite);
        if (!DistanceKernels.SquaredDistancesTo(inputs, _anchor, _r, Scratch)) NonFinite.ThrowIfAny(inputs, d);
    }
}
