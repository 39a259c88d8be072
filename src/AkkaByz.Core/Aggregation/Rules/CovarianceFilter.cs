using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// CAF(f), the covariance-bound agnostic filter (Allouah, Guerraoui, Gupta, Pinot &amp; Stephan, "Robust distributed
/// learning: tight error bounds and breakdown point under data heterogeneity", NeurIPS 2023; after the spectral filters
/// of Diakonikolas et al.): weights c_i = 1; while Σ c_i &gt; m − 2f: μ_c = Σ c_i x_i / Σ c_i, Σ_c = Σ c_i (x_i − μ_c)
/// (x_i − μ_c)ᵀ / Σ c_i, (λ, v) its top eigenpair, τ_i = ⟨x_i − μ_c, v⟩², c_i ← c_i (1 − τ_i / max_j τ_j) (the maximum over inputs of positive weight); output the
/// μ_c of smallest λ met (the first on a tie). The first step always runs (with f = 0 it is the mean). Every step zeroes at least one weight, so there are at most 2f + 1 steps
/// (the loop also ends when Σ_c = 0). All of it is m-dimensional: with α = c / Σ c, B = I − 1αᵀ and D the m×m squared
/// distances (one blocked pass, double), the centred Gram matrix is K = −½ B D Bᵀ, Σ_c has the nonzero eigenvalues of
/// A^{1/2} K A^{1/2} (A = diag α), and for its top eigenvector u the projections are ⟨x_i − μ_c, v⟩ =
/// (K A^{1/2} u)_i / √λ. The eigenpair is exact (Jacobi; ByzFL runs one randomised power step). A weighted-sum pass
/// writes μ. Reports the inputs whose weight in the output is 0 as suspects (when the best μ is the first, none).
/// </summary>
public sealed class CovarianceFilter : AggregatorBase
{
    private readonly double[] _d2;
    private readonly double[] _c;
    private readonly double[] _alpha;
    private readonly double[] _bestAlpha;
    private readonly double[] _k;
    private readonly double[] _a;
    private readonly double[] _u;
    private readonly double[] _work;
    private readonly double[] _tau;

    public CovarianceFilter(int m, int f) : base(m, f)
    {
        _d2 = new double[m * m];
        _c = new double[m];
        _alpha = new double[m];
        _bestAlpha = new double[m];
        _k = new double[m * m];
        _a = new double[m * m];
        _u = new double[m];
        _work = new double[m * m];
        _tau = new double[m];
    }

    /// <inheritdoc />
    public override string Spec => "caf";

    /// <summary>Filter steps of the last call (diagnostics).</summary>
    public int LastSteps { get; private set; }

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        int m = M, d = output.Length;
        if (!DistanceKernels.PairwiseSquaredDistances(inputs, d, _d2, Scratch)) NonFinite.ThrowIfAny(inputs, d);
        Filter();
        if (!LinearKernels.WeightedSum(inputs, _bestAlpha, output, Scratch)) FailNonFinite(inputs, d, "The filtered mean");
        var kept = Enumerable.Range(0, m).Where(i => _bestAlpha[i] > 0).ToArray();
        return new AggregationReport(InputValidation.Complement(m, kept), kept);
    }

    private void Filter()
    {
        int m = M;
        Array.Fill(_c, 1.0);
        double sum = m, best = double.PositiveInfinity;
        int steps = 0;
        do
        {
            steps++;
            for (int i = 0; i < m; i++) _alpha[i] = _c[i] / sum;
            SpectralKernels.WeightedCentredGram(_d2, m, _alpha, _k);
            for (int i = 0; i < m; i++)
            {
                double si = Math.Sqrt(_alpha[i]);
                for (int j = 0; j < m; j++) _a[i * m + j] = si * _k[i * m + j] * Math.Sqrt(_alpha[j]);
            }
            double lambda = SpectralKernels.TopEigen(_a, m, _u, _work);
            if (lambda < best)
            {
                best = lambda;
                Array.Copy(_alpha, _bestAlpha, m);
            }
            if (!(lambda > 0)) break; // all remaining weight on one point (or identical points): nothing to filter
            double tmax = 0, inv = 1 / Math.Sqrt(lambda);
            for (int i = 0; i < m; i++)
            {
                double p = 0;
                for (int j = 0; j < m; j++) p += _k[i * m + j] * Math.Sqrt(_alpha[j]) * _u[j];
                p *= inv;
                _tau[i] = _c[i] > 0 ? p * p : 0;
                tmax = Math.Max(tmax, _tau[i]);
            }
            if (!(tmax > 0)) break;
            sum = 0;
            for (int i = 0; i < m; i++)
            {
                _c[i] *= Math.Max(0, 1 - _tau[i] / tmax);
                sum += _c[i];
            }
        }
        while (sum > m - 2 * F);
        LastSteps = steps;
    }
}
