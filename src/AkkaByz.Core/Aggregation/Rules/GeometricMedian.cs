using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// GeoMed (RFA): an approximate geometric median argmin_z Σ ‖z − x_i‖ by the smoothed Weiszfeld iteration
/// z ← Σ β_i x_i / Σ β_i with β_i = 1 / max(ν, ‖z − x_i‖), T iterations (Pillutla, Kakade, Harchaoui, "Robust
/// aggregation for federated learning", 2022; reference defaults T = 3, ν = 0.1).
/// Starts from the mean (the reference starts from 0, which is not translation-equivariant for finite T).
/// <para>
/// Every iterate is a convex combination z = Σ_j β_j x_j of the inputs, so only β is kept: each iteration is ONE fused
/// pass (<see cref="DistanceKernels.SquaredDistancesToCombination"/>: per block, z's block in double, then the m
/// distances Σ (z − x_i)² from the cached rows), and a final weighted sum writes z_T: T + 1 passes in all. The
/// distances are direct sums of squares, never a difference of large terms (the Gram form
/// Σ_j β_j D_ij − ½ Σ_jk β_j β_k D_jk cancels catastrophically beside a far input: at T = 30 one input of norm 1e25
/// moved its result far from exact Weiszfeld's).
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
    }

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
        int d = output.Length, m = M;
        Array.Fill(_beta, 1.0 / m); // z0 = the mean
        for (int t = 0; t < Iterations; t++)
        {
            if (!DistanceKernels.SquaredDistancesToCombination(inputs, _beta, d, _dist, Scratch)) NonFinite.ThrowIfAny(inputs, d);
            double sum = 0;
            for (int i = 0; i < m; i++)
            {
                _dist[i] = 1.0 / Math.Max(Nu, Math.Sqrt(_dist[i]));
                sum += _dist[i];
            }
            for (int i = 0; i < m; i++) _beta[i] = _dist[i] / sum;
        }
        if (!LinearKernels.WeightedSum(inputs, _beta, output, Scratch)) FailNonFinite(inputs, d, "The Weiszfeld iterate");
        return AggregationReport.None;
    }
}
