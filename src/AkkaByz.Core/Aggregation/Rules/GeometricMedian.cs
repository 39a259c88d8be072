using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// GeoMed (RFA): an approximate geometric median argmin_z Σ ‖z − x_i‖ by the smoothed Weiszfeld iteration
/// z ← Σ β_i x_i / Σ β_i with β_i = 1 / max(ν, ‖z − x_i‖), T iterations (Pillutla, Kakade, Harchaoui, "Robust
/// aggregation for federated learning", 2022; reference defaults T = 3, ν = 0.1).
/// Starts from the mean (the reference starts from 0, which is not translation-equivariant for finite T).
/// <para>
/// Two exact evaluation strategies, picked by cost: for small m (m ≤ 12T) every iterate is a convex combination
/// z = Σ_j β_j x_j of the inputs, so ‖z − x_i‖² = Σ_j β_j D_ij − ½ Σ_j Σ_k β_j β_k D_jk with D the squared pairwise
/// distances: one blocked pairwise-distance pass, all T iterations in O(T m²), one weighted-sum pass (cost independent
/// of T). For larger m: 1 + 2T passes (mean, then per iteration a distance pass and a weighted-sum pass).
/// </para>
/// </summary>
public sealed class GeometricMedian : AggregatorBase
{
    /// <summary>Reference number of Weiszfeld iterations.</summary>
    public const int DefaultIterations = 3;

    /// <summary>Reference smoothing ν (absolute distance floor).</summary>
    public const double DefaultNu = 0.1;

    private readonly double[] _dist;
    private readonly double[] _beta;
    private readonly double[]? _d2;

    /// <param name="m">Inputs per call.</param>
    /// <param name="f">Tolerated Byzantine inputs (f &lt; m/2).</param>
    /// <param name="iterations">T ≥ 1.</param>
    /// <param name="nu">ν &gt; 0.</param>
    public GeometricMedian(int m, int f, int iterations = DefaultIterations, double nu = DefaultNu) : base(m, f)
    {
        if (iterations < 1) throw new ArgumentOutOfRangeException(nameof(iterations), $"GeoMed needs iters ≥ 1, got {iterations}.");
        if (!(nu > 0) || !double.IsFinite(nu)) throw new ArgumentOutOfRangeException(nameof(nu), $"GeoMed needs a finite nu > 0, got {nu}.");
        Iterations = iterations;
        Nu = nu;
        _dist = new double[m];
        _beta = new double[m];
        UsesDistanceMatrix = m <= 12 * iterations;
        if (UsesDistanceMatrix) _d2 = new double[m * m];
    }

    /// <summary>Whether this instance evaluates the iterations on the pairwise-distance matrix (small m).</summary>
    public bool UsesDistanceMatrix { get; }

    /// <summary>T, the number of Weiszfeld iterations.</summary>
    public int Iterations { get; }

    /// <summary>ν, the smoothing floor on distances.</summary>
    public double Nu { get; }

    /// <inheritdoc />
    public override string Spec => Iterations == DefaultIterations && Nu == DefaultNu
        ? "geomed"
        : FormattableString.Invariant($"geomed(iters={Iterations},nu={Nu:R})");

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        int d = output.Length;
        if (UsesDistanceMatrix) return AggregateOnDistanceMatrix(inputs, output);
        if (!LinearKernels.Mean(inputs, output, Scratch)) FailNonFinite(inputs, d, "The mean");
        for (int t = 0; t < Iterations; t++)
        {
            DistanceKernels.SquaredDistancesTo(inputs, output, _dist, Scratch);
            double sum = 0;
            for (int i = 0; i < M; i++)
            {
                _beta[i] = 1.0 / Math.Max(Nu, Math.Sqrt(_dist[i]));
                sum += _beta[i];
            }
            for (int i = 0; i < M; i++) _beta[i] /= sum;
            if (!LinearKernels.WeightedSum(inputs, _beta, output, Scratch)) FailNonFinite(inputs, d, "A Weiszfeld step");
        }
        return AggregationReport.None;
    }

    private AggregationReport AggregateOnDistanceMatrix(IReadOnlyList<float[]> inputs, Span<float> output)
    {
        int d = output.Length, m = M;
        var d2 = _d2!;
        if (!DistanceKernels.PairwiseSquaredDistances(inputs, d, d2, Scratch)) NonFinite.ThrowIfAny(inputs, d);
        Array.Fill(_beta, 1.0 / m); // z0 = the mean
        for (int t = 0; t < Iterations; t++)
        {
            double q = 0;
            for (int j = 0; j < m; j++)
            {
                double s = 0;
                for (int k = 0; k < m; k++) s += _beta[k] * d2[j * m + k];
                _dist[j] = s; // Σ_k β_k D_jk
                q += _beta[j] * s;
            }
            double sum = 0;
            for (int i = 0; i < m; i++)
            {
                double r2 = Math.Max(0, _dist[i] - 0.5 * q);
                _dist[i] = 1.0 / Math.Max(Nu, Math.Sqrt(r2));
                sum += _dist[i];
            }
            for (int i = 0; i < m; i++) _beta[i] = _dist[i] / sum;
        }
        if (!LinearKernels.WeightedSum(inputs, _beta, output, Scratch)) FailNonFinite(inputs, d, "The Weiszfeld iterate");
        return AggregationReport.None;
    }
}
