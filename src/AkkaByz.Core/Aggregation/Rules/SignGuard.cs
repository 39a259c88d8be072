using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation.Rules;

/// <summary>
/// SignGuard(f) (Xu, Huang, Zhang, Wu &amp; Lau, "SignGuard: Byzantine-robust federated learning through collaborative
/// malicious gradient filtering", ICDCS 2022), made deterministic: (1) norm filter: with M the median of the norms
/// ‖x_i‖, keep S₁ = {i : lower ≤ ‖x_i‖ / M ≤ upper}; (2) sign clustering: on b = ⌈frac·d⌉ coordinates drawn at
/// random, each input's fractions of positive, zero and negative values form a point in R³; 2-means (Lloyd's
/// iteration from the two farthest points, the lower indices first on a tie, until no point moves) splits them and
/// S₂ is the larger cluster (on equal sizes, the one holding the lowest index); (3) the output is the mean over
/// S = S₁ ∩ S₂ (S₁ when the intersection is empty) of the inputs clipped to the median norm,
/// x_i · min(1, M / ‖x_i‖). The paper clusters with mean-shift; a fixed two-cluster split is deterministic and needs no
/// bandwidth. The coordinates come from a stream seeded by <c>Build</c>'s seed and the call number, this rule's
/// <see cref="AggregatorState"/>. Cost: one pass for the norms, a gather of m·b values, one weighted-sum pass.
/// Defaults lower = 0.1, upper = 3, frac = 0.1 (the paper's). Not translation-equivariant (norms and signs are
/// measured from the origin). Reports S as selected, the rest as suspects.
/// </summary>
public sealed class SignGuard : AggregatorBase
{
    public const double DefaultLower = 0.1;
    public const double DefaultUpper = 3.0;
    public const double DefaultFraction = 0.1;

    private readonly int _seed;
    private readonly double[] _norm;
    private readonly double[] _w;
    private readonly double[] _feat;
    private readonly int[] _cluster;
    private readonly CoordinateSampler _sampler = new();
    private AggregatorState.Slot _slot = new();

    public SignGuard(int m, int f, double lower = DefaultLower, double upper = DefaultUpper, double fraction = DefaultFraction, int seed = 0)
        : base(m, f)
    {
        if (!(lower >= 0 && lower <= 1)) throw new ArgumentOutOfRangeException(nameof(lower), $"SignGuard needs 0 ≤ lower ≤ 1, got {lower}.");
        if (!(upper >= 1) || !double.IsFinite(upper)) throw new ArgumentOutOfRangeException(nameof(upper), $"SignGuard needs a finite upper ≥ 1, got {upper}.");
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), $"SignGuard needs 0 < frac ≤ 1, got {fraction}.");
        Lower = lower;
        Upper = upper;
        Fraction = fraction;
        _seed = seed;
        _norm = new double[m];
        _w = new double[m];
        _feat = new double[3 * m];
        _cluster = new int[m];
    }

    public double Lower { get; }
    public double Upper { get; }
    public double Fraction { get; }

    /// <inheritdoc />
    public override string Spec
    {
        get
        {
            var p = new List<string>();
            if (Fraction != DefaultFraction) p.Add(FormattableString.Invariant($"frac={Fraction:R}"));
            if (Lower != DefaultLower) p.Add(FormattableString.Invariant($"lower={Lower:R}"));
            if (Upper != DefaultUpper) p.Add(FormattableString.Invariant($"upper={Upper:R}"));
            return p.Count == 0 ? "signguard" : $"signguard({string.Join(",", p)})";
        }
    }

    internal override bool HasState => true;

    internal override void BindState(AggregatorState state, ref int next) => _slot = state[next++];

    internal override AggregationReport AggregateCore(IReadOnlyList<float[]> inputs, Span<float> output, bool checkFinite)
    {
        int m = M, d = output.Length;
        if (!DistanceKernels.SquaredNorms(inputs, d, _norm, Scratch)) NonFinite.ThrowIfAny(inputs, d);
        for (int i = 0; i < m; i++) _norm[i] = Math.Sqrt(_norm[i]);
        var sorted = _norm.ToArray();
        Array.Sort(sorted);
        double med = m % 2 == 1 ? sorted[m / 2] : 0.5 * (sorted[m / 2 - 1] + sorted[m / 2]);
        var s1 = new bool[m];
        for (int i = 0; i < m; i++)
            s1[i] = med > 0 ? _norm[i] >= Lower * med && _norm[i] <= Upper * med : _norm[i] == 0;

        SignFeatures(inputs, d);
        var s2 = LargerCluster();
        var sel = Enumerable.Range(0, m).Where(i => s1[i] && s2[i]).ToArray();
        if (sel.Length == 0) sel = Enumerable.Range(0, m).Where(i => s1[i]).ToArray();
        Array.Clear(_w);
        foreach (int i in sel) _w[i] = (_norm[i] > med ? med / _norm[i] : 1.0) / sel.Length;
        if (!LinearKernels.WeightedSum(inputs, _w, output, Scratch)) FailNonFinite(inputs, d, "The clipped mean");
        _slot.Counter++;
        return new AggregationReport(InputValidation.Complement(m, sel), sel);
    }

    /// <summary>_feat[3i..3i+3) = the fractions of positive, zero and negative values of x_i on the sampled coordinates.</summary>
    private void SignFeatures(IReadOnlyList<float[]> inputs, int d)
    {
        int m = M;
        int b = (int)Math.Min(d, Math.Max(1, Math.Ceiling(Fraction * d - 1e-9)));
        var idx = b < d ? _sampler.Draw(CoordinateSampler.CallRandom(_seed, _slot.Counter), d, b) : [];
        var feat = _feat;
        Parallel.For(0, m, i =>
        {
            var x = inputs[i];
            long pos = 0, neg = 0;
            if (idx.Length == 0) for (int j = 0; j < b; j++) { float v = x[j]; pos += v > 0 ? 1 : 0; neg += v < 0 ? 1 : 0; }
            else foreach (int j in idx) { float v = x[j]; pos += v > 0 ? 1 : 0; neg += v < 0 ? 1 : 0; }
            feat[3 * i] = (double)pos / b;
            feat[3 * i + 1] = (double)(b - pos - neg) / b;
            feat[3 * i + 2] = (double)neg / b;
        });
    }

    private double Dist2(int i, double[] c, int k)
    {
        double s = 0;
        for (int t = 0; t < 3; t++) { double e = _feat[3 * i + t] - c[3 * k + t]; s += e * e; }
        return s;
    }

    /// <summary>2-means over the sign features; membership of the larger cluster.</summary>
    private bool[] LargerCluster()
    {
        int m = M;
        int a = 0, b = 0;
        double far = 0;
        for (int i = 0; i < m; i++)
            for (int j = i + 1; j < m; j++)
            {
                double s = 0;
                for (int t = 0; t < 3; t++) { double e = _feat[3 * i + t] - _feat[3 * j + t]; s += e * e; }
                if (s > far) { far = s; a = i; b = j; }
            }
        var inS2 = new bool[m];
        if (far == 0) { Array.Fill(inS2, true); return inS2; }
        var c = new double[6];
        for (int t = 0; t < 3; t++) { c[t] = _feat[3 * a + t]; c[3 + t] = _feat[3 * b + t]; }
        Array.Fill(_cluster, -1);
        for (int iter = 0; iter < 100; iter++)
        {
            bool moved = false;
            for (int i = 0; i < m; i++)
            {
                int k = Dist2(i, c, 1) < Dist2(i, c, 0) ? 1 : 0;
                if (k != _cluster[i]) { _cluster[i] = k; moved = true; }
            }
            if (!moved) break;
            Array.Clear(c);
            var n = new int[2];
            for (int i = 0; i < m; i++)
            {
                n[_cluster[i]]++;
                for (int t = 0; t < 3; t++) c[3 * _cluster[i] + t] += _feat[3 * i + t];
            }
            for (int k = 0; k < 2; k++) for (int t = 0; t < 3; t++) c[3 * k + t] /= Math.Max(1, n[k]);
        }
        int n1 = _cluster.Count(k => k == 1), n0 = m - n1;
        int keep = n1 > n0 ? 1 : n0 > n1 ? 0 : _cluster[0];
        for (int i = 0; i < m; i++) inS2[i] = _cluster[i] == keep;
        return inS2;
    }
}
