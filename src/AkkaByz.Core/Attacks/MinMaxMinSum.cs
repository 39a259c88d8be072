using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Attacks;

/// <summary>The perturbation direction p of MinMax / MinSum (Shejwalkar &amp; Houmansadr 2021).</summary>
public enum PerturbationDirection
{
    /// <summary>p = −μ/‖μ‖ (the paper's "inverse unit vector").</summary>
    Unit,
    /// <summary>p = −σ, the coordinate-wise sample standard deviation (n − 1 denominator).</summary>
    Std,
    /// <summary>p = −sign(μ).</summary>
    Sign,
}

/// <summary>
/// The AGR-agnostic attacks of Shejwalkar &amp; Houmansadr (NDSS 2021): every Byzantine worker sends μ + γ·p, μ the honest
/// mean and p the <see cref="PerturbationDirection"/>, with γ the largest value that keeps the malicious vector as
/// close to the honest vectors as they are to each other:
/// <list type="bullet">
/// <item>MinMax: max_i ‖μ + γp − g_i‖ ≤ max_{i,j} ‖g_i − g_j‖;</item>
/// <item>MinSum: Σ_i ‖μ + γp − g_i‖² ≤ max_i Σ_j ‖g_i − g_j‖².</item>
/// </list>
/// Both constraints hold at γ = 0 (the mean is within the honest diameter and minimises the sum of squares) and are
/// convex in γ, so the feasible γ ≥ 0 form an interval and its end is found by binary search, as in the paper: γ
/// doubles from 1 while feasible, then 100 bisection steps (or until the bracket is 1e-12 of γ). Each step is O(n):
/// ‖μ + γp − g_i‖² = a_i + 2γb_i + γ²‖p‖², with a_i = ‖μ − g_i‖² and b_i = ⟨p, μ − g_i⟩ read from the
/// distances to two anchors (μ and μ + s·p, s balancing ‖s·p‖ against the spread so nothing cancels), computed by
/// the blocked double-accumulating distance kernels. Cost per round: the mean (and σ) pass, the n×n honest
/// distances, two anchor-distance passes, then O(n) per search step. Omniscient; every Byzantine worker sends the
/// same vector. When p = 0 (all honest vectors equal, or μ = 0 for the unit direction) the attack sends μ.
/// </summary>
public abstract class ShejwalkarAttack : IAttack
{
    private readonly HonestStatistics _stats = new();
    private readonly KernelScratch _scratch = new();
    private float[] _p = [];
    private float[] _anchor = [];

    protected ShejwalkarAttack(PerturbationDirection direction) => Direction = direction;

    public PerturbationDirection Direction { get; }
    public abstract string Name { get; }
    public bool NeedsHonestVectors => true;
    public bool SameVectorForEveryByzantine => true;

    /// <summary>The γ of the last <see cref="Craft"/> (for tests and diagnostics).</summary>
    public double LastGamma { get; private set; }

    /// <summary>True when γ satisfies the constraint; a = ‖μ − g_i‖², b = ⟨p, μ − g_i⟩, c = ‖p‖², pair = ‖g_i − g_j‖² (n×n).</summary>
    internal abstract bool Feasible(double gamma, ReadOnlySpan<double> a, ReadOnlySpan<double> b, double c, double threshold);

    /// <summary>The constraint's right-hand side from the n×n squared honest distances.</summary>
    internal abstract double Threshold(ReadOnlySpan<double> pair, int n);

    public void Craft(AttackContext context, Span<float> output)
    {
        var honest = AttackMath.RequireHonest(this, context, output.Length);
        int n = honest.Count, d = output.Length;
        _stats.Compute(honest, d, Direction == PerturbationDirection.Std);
        if (_p.Length != d) { _p = new float[d]; _anchor = new float[d]; }
        var mu = _stats.MeanFloat;
        double c = 0;
        switch (Direction)
        {
            case PerturbationDirection.Unit:
            {
                double norm = Math.Sqrt(DistanceKernels.SumSquares(mu));
                for (int j = 0; j < d; j++) _p[j] = norm > 0 ? (float)(-_stats.Mean[j] / norm) : 0f;
                break;
            }
            case PerturbationDirection.Std:
                for (int j = 0; j < d; j++) _p[j] = (float)-_stats.Std[j];
                break;
            default:
                for (int j = 0; j < d; j++) _p[j] = -MathF.Sign(mu[j]);
                break;
        }
        c = DistanceKernels.SumSquares(_p);
        mu.CopyTo(output);
        LastGamma = 0;
        if (!(c > 0) || !double.IsFinite(c)) return;

        var pair = new double[n * n];
        DistanceKernels.PairwiseSquaredDistances(honest, d, pair, _scratch);
        double threshold = Threshold(pair, n);
        var a = new double[n];
        var e = new double[n];
        DistanceKernels.SquaredDistancesTo(honest, mu, a, _scratch);
        double spread = Math.Sqrt(a.Average());
        double s = spread > 0 ? spread / Math.Sqrt(c) : 1.0;
        for (int j = 0; j < d; j++) _anchor[j] = (float)(mu[j] + s * _p[j]);
        DistanceKernels.SquaredDistancesTo(honest, _anchor, e, _scratch);
        // ‖μ + s·p − g_i‖² = a_i + 2 s b_i + s² c, with the anchor's float rounding folded into c.
        double cs = DistanceKernels.SumSquaredDiff(_anchor, mu) / (s * s);
        var b = new double[n];
        for (int i = 0; i < n; i++) b[i] = (e[i] - a[i] - s * s * cs) / (2 * s);

        double lo = 0, hi = 1;
        int doublings = 0;
        while (Feasible(hi, a, b, c, threshold) && doublings++ < 1000) { lo = hi; hi *= 2; }
        for (int step = 0; step < 100 && hi - lo > 1e-12 * hi; step++)
        {
            double mid = 0.5 * (lo + hi);
            if (Feasible(mid, a, b, c, threshold)) lo = mid; else hi = mid;
        }
        LastGamma = lo;
        for (int j = 0; j < d; j++) output[j] = (float)(_stats.Mean[j] + lo * _p[j]);
    }

    internal static string DirectionName(PerturbationDirection d) => d.ToString().ToLowerInvariant();
}

/// <summary>MinMax: the largest γ with max_i ‖μ + γp − g_i‖ ≤ max_{i,j} ‖g_i − g_j‖ (see <see cref="ShejwalkarAttack"/>).</summary>
public sealed class MinMaxAttack(PerturbationDirection direction = PerturbationDirection.Std) : ShejwalkarAttack(direction)
{
    public override string Name => $"minmax(dir={DirectionName(Direction)})";

    internal override double Threshold(ReadOnlySpan<double> pair, int n)
    {
        double max = 0;
        foreach (var v in pair) max = Math.Max(max, v);
        return max;
    }

    internal override bool Feasible(double gamma, ReadOnlySpan<double> a, ReadOnlySpan<double> b, double c, double threshold)
    {
        for (int i = 0; i < a.Length; i++)
            if (a[i] + 2 * gamma * b[i] + gamma * gamma * c > threshold) return false;
        return true;
    }
}

/// <summary>MinSum: the largest γ with Σ_i ‖μ + γp − g_i‖² ≤ max_i Σ_j ‖g_i − g_j‖² (see <see cref="ShejwalkarAttack"/>).</summary>
public sealed class MinSumAttack(PerturbationDirection direction = PerturbationDirection.Std) : ShejwalkarAttack(direction)
{
    public override string Name => $"minsum(dir={DirectionName(Direction)})";

    internal override double Threshold(ReadOnlySpan<double> pair, int n)
    {
        double max = 0;
        for (int i = 0; i < n; i++)
        {
            double row = 0;
            for (int j = 0; j < n; j++) row += pair[i * n + j];
            max = Math.Max(max, row);
        }
        return max;
    }

    internal override bool Feasible(double gamma, ReadOnlySpan<double> a, ReadOnlySpan<double> b, double c, double threshold)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] + 2 * gamma * b[i] + gamma * gamma * c;
        return sum <= threshold;
    }
}
