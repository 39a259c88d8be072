using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Tests.Aggregation;

/// <summary>The blocked / SIMD / parallel kernels and rules equal the plain scalar reference within tolerance.</summary>
public class FastEqualsScalarTests
{
    private static readonly int W = System.Numerics.Vector<float>.Count;

    public static IEnumerable<object[]> KernelCases()
    {
        // (m, d, seed): m across 3..65 (and 128/129 around the network/fallback switch), d up to 1e5, odd sizes included.
        yield return [3, 1, 1];
        yield return [3, W - 1, 2];
        yield return [4, 2 * W + 3, 3];
        yield return [17, 100_000, 4];
        yield return [16, 99_997, 5];
        yield return [33, 40_001, 6];
        yield return [64, 12_345, 7];
        yield return [65, 20_003, 8];
        yield return [128, 3_001, 10];   // largest m on the sorting network
        yield return [129, 2_003, 11];   // per-coordinate fallback
        var rng = new Random(9);
        for (int k = 0; k < 6; k++) yield return [rng.Next(3, 66), rng.Next(1, 70_000), 100 + k];
    }

    [Theory]
    [MemberData(nameof(KernelCases))]
    public void Rank_statistics_match_sorting_each_column(int m, int d, int seed)
    {
        var x = TestData.Gaussian(new Random(seed), m, d, mean: 3, sd: 2);
        var xd = x.Select(v => v.Select(c => (double)c).ToArray()).ToArray();
        var scratch = new KernelScratch();
        var y = new float[d];
        foreach (var (lo, hi) in new[] { ((m - 1) / 2, m / 2), (m / 4, m - 1 - m / 4), (0, 0), (m - 1, m - 1) })
        {
            Assert.True(OrderStatisticKernels.RankMean(x, lo, hi, y, scratch));
            var expected = ScalarReference.RankMean(xd, lo, hi);
            Assert.True(TestData.MaxAbsDiff(y, expected) <= 1e-5, $"m={m} d={d} ranks {lo}..{hi}");
        }
        // The mean of the k values closest to the median (MeaMed, Bulyan), SIMD and fallback. (k = 1 only for odd m: for
        // even m the two middle values are always equidistant from their midpoint, so rounding decides; the rules never
        // ask for it, their k is at least 3.)
        foreach (int k in new[] { m % 2 == 1 ? 1 : 2, 3, m / 2 + 1, m - m / 4, m - 1, m }.Where(k => k >= 1 && k <= m).Distinct())
        {
            Assert.True(OrderStatisticKernels.ClosestToMedianMean(x, k, y, scratch));
            var expected = ScalarReference.MeaMed(xd, k);
            Assert.True(TestData.MaxAbsDiff(y, expected) <= 1e-5, $"m={m} d={d} closest {k}: {TestData.MaxAbsDiff(y, expected)}");
            var zz = new float[d];
            Assert.True(OrderStatisticKernels.ClosestToMedianMean(x, k, zz, scratch, forceScalarColumns: true));
            Assert.True(TestData.MaxAbsDiff(zz, expected) <= 1e-5, $"m={m} d={d} closest {k} (columns)");
        }
        // Forcing the per-coordinate fallback gives the same.
        var z = new float[d];
        OrderStatisticKernels.RankMean(x, (m - 1) / 2, m / 2, z, scratch, forceScalarColumns: true);
        OrderStatisticKernels.RankMean(x, (m - 1) / 2, m / 2, y, scratch);
        Assert.True(TestData.MaxAbsDiff(y, z) <= 1e-6);
    }

    [Theory]
    [MemberData(nameof(KernelCases))]
    public void Distances_and_linear_combinations_match_plain_loops(int m, int d, int seed)
    {
        var rng = new Random(seed);
        var x = TestData.Gaussian(rng, m, d, mean: 100, sd: 1); // a large common offset: cancellation-prone
        var xd = x.Select(v => v.Select(c => (double)c).ToArray()).ToArray();
        var scratch = new KernelScratch();

        var pair = new double[m * m];
        Assert.True(DistanceKernels.PairwiseSquaredDistances(x, d, pair, scratch));
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
            {
                double e = ScalarReference.D2(xd[i], xd[j]);
                Assert.True(Math.Abs(pair[i * m + j] - e) <= 1e-9 * (1 + e), $"pair ({i},{j}) {pair[i * m + j]} vs {e}");
            }

        var anchor = x[rng.Next(m)].Select(v => v + 0.25f).ToArray();
        var ad = anchor.Select(v => (double)v).ToArray();
        var r = new double[m];
        Assert.True(DistanceKernels.SquaredDistancesTo(x, anchor, r, scratch));
        for (int i = 0; i < m; i++)
        {
            double e = ScalarReference.D2(xd[i], ad);
            Assert.True(Math.Abs(r[i] - e) <= 1e-9 * (1 + e));
        }

        // Distances to a convex combination z = Σ β_j x_j that is never stored (GeoMed's fused pass).
        var beta = Enumerable.Range(0, m).Select(_ => rng.NextDouble()).ToArray();
        beta = beta.Select(b => b / beta.Sum()).ToArray();
        beta[0] = 0; // rows with weight 0 are skipped in z but still get their distance
        var zc = new double[d];
        for (int i = 0; i < m; i++) for (int j = 0; j < d; j++) zc[j] += beta[i] * xd[i][j];
        Assert.True(DistanceKernels.SquaredDistancesToCombination(x, beta, d, r, scratch));
        for (int i = 0; i < m; i++)
        {
            double e = ScalarReference.D2(xd[i], zc);
            Assert.True(Math.Abs(r[i] - e) <= 1e-9 * (1 + e), $"to z: row {i} {r[i]} vs {e}");
        }

        var w = Enumerable.Range(0, m).Select(_ => rng.NextDouble() - 0.3).ToArray();
        var y = new float[d];
        Assert.True(LinearKernels.WeightedSum(x, w, y, scratch));
        for (int j = 0; j < d; j++)
        {
            double e = 0;
            for (int i = 0; i < m; i++) e += w[i] * xd[i][j];
            Assert.True(Math.Abs(y[j] - e) <= 1e-6 * (1 + Math.Abs(e)), $"coordinate {j}: {y[j]} vs {e}");
        }
    }

    public static IEnumerable<object[]> RuleCases()
    {
        var rng = new Random(42);
        foreach (var spec in TestData.AllSpecs)
        {
            int m = rng.Next(3, 40), d = rng.Next(1, 3000);
            // The scalar MDA enumerates all C(m, m − f) subsets: keep it small.
            if (TestData.Enumerates(spec)) m = Math.Min(m, 18);
            yield return [spec, m, d, rng.Next()];
        }
        yield return ["ctma(cwtm)", 65, 2001, 1];
        yield return ["nnm(cwmed)", 64, 1500, 2];
        yield return ["ctma(geomed)", 17, 100_000, 3];
        yield return ["krum", 17, 99_999, 4];
        // GeoMed at sizes and iteration counts either side of the old distance-matrix / streaming switch (m = 12T).
        yield return ["geomed", 36, 5000, 5];
        yield return ["geomed", 50, 5000, 6];
        yield return ["geomed(iters=1)", 13, 5000, 7];
        yield return ["geomed(iters=8,nu=0.001)", 9, 20_001, 8];
        yield return ["meamed", 17, 100_000, 9];
        yield return ["meamed", 129, 2_001, 10];
        yield return ["bulyan", 35, 20_001, 11];
        yield return ["bulyan", 17, 50_000, 12];
        yield return ["arc(cwtm)", 17, 50_000, 13];
        yield return ["clip(c=5,cwtm)", 17, 50_000, 14];
        yield return ["mda", 17, 20_000, 15];
        yield return ["monna(pivot=5)", 17, 50_000, 16];
        yield return ["smea", 17, 20_000, 17];
        yield return ["caf", 17, 20_000, 18];
        yield return ["caf", 40, 2_000, 19];     // the EVD path (order > 24)
        yield return ["dnc", 17, 50_000, 20];
        yield return ["dnc(dim=100000)", 17, 30_000, 21]; // b ≥ d: every coordinate
        yield return ["signguard", 17, 50_000, 22];
        yield return ["cc(iters=5,tau=3)", 17, 50_000, 23];
        yield return ["ctma(smea)", 13, 5_000, 24];
    }

    [Theory]
    [MemberData(nameof(RuleCases))]
    public void Every_rule_matches_its_scalar_reference(string spec, int m, int d, int seed)
    {
        var rng = new Random(seed);
        int f = TestData.SafeF(m, spec);
        var x = TestData.Gaussian(rng, m, d, mean: 1, sd: 1);
        // A few outliers so that selection matters.
        for (int i = 0; i < f; i++) for (int j = 0; j < d; j++) x[i][j] += 5f;
        var parsed = AggregatorSpec.Parse(spec);
        var fast = TestData.Run(parsed.Build(m, f, seed), x);
        var expected = ScalarReference.Aggregate(parsed, x, f, seed);
        double err = TestData.MaxAbsDiff(fast, expected);
        Assert.True(err <= 2e-4, $"{spec} m={m} f={f} d={d}: max |fast − scalar| = {err}");
    }
}
