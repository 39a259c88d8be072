using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Aggregation.Meta;

namespace AkkaByz.Core.Tests.Aggregation;

/// <summary>Small cases worked out by hand for every rule.</summary>
public class HandComputedTests
{
    // Five 2-d points; the last is an outlier.
    private static readonly float[][] X =
    [
        [0f, 10f],
        [1f, 12f],
        [2f, 11f],
        [3f, 13f],
        [100f, -50f],
    ];

    [Fact]
    public void Mean_is_the_average() =>
        Assert.Equal(new[] { 106f / 5, -4f / 5 }, TestData.Run("mean", X, 1));

    [Fact]
    public void Cwmed_takes_the_middle_of_each_coordinate() =>
        // sorted x: 0 1 2 3 100 → 2; sorted y: −50 10 11 12 13 → 11
        Assert.Equal(new[] { 2f, 11f }, TestData.Run("cwmed", X, 1));

    [Fact]
    public void Cwmed_averages_the_two_middles_for_even_m() =>
        // x: 0 1 2 3 → 1.5; y: 10 11 12 13 → 11.5
        Assert.Equal(new[] { 1.5f, 11.5f }, TestData.Run("cwmed", X[..4], 1));

    [Fact]
    public void Cwtm_drops_f_per_side_and_averages_the_rest()
    {
        // f = 1: x: drop 0 and 100 → mean(1,2,3) = 2; y: drop −50 and 13 → mean(10,11,12) = 11
        Assert.Equal(new[] { 2f, 11f }, TestData.Run("cwtm", X, 1));
        // f = 0 is the mean.
        Assert.Equal(TestData.Run("mean", X, 0), TestData.Run("cwtm", X, 0));
    }

    [Fact]
    public void Geomed_of_collinear_points_moves_towards_the_median()
    {
        // 1-d points 0, 1, 2, 3, 100; T = 1 from the mean 21.2: β_i = 1/|21.2 − x_i|.
        float[][] x = [[0f], [1f], [2f], [3f], [100f]];
        double z = 21.2;
        var beta = x.Select(v => 1 / Math.Abs(z - v[0])).ToArray();
        double expected = beta.Select((b, i) => b * x[i][0]).Sum() / beta.Sum();
        Assert.Equal(expected, TestData.Run("geomed(iters=1)", x, 1)[0], 4);
        // Many iterations converge to the geometric median of 1-d points, i.e. the median, 2.
        Assert.Equal(2.0, TestData.Run("geomed(iters=200,nu=0.000001)", x, 1)[0], 2);
    }

    [Fact]
    public void Krum_selects_the_point_with_the_smallest_neighbour_score()
    {
        // 1-d points 0, 1, 2, 3, 100, 101, 102 with m = 7, f = 2: m − f − 2 = 3 nearest others.
        float[][] x = [[0f], [1f], [2f], [3f], [100f], [101f], [102f]];
        // scores: 0: 1+4+9 = 14; 1: 1+1+4 = 6; 2: 1+1+4 = 6; 3: 1+4+9 = 14; 100: 1+4+97² ; 101: 1+1+98²; 102: ...
        var agg = AggregatorSpec.Parse("krum").Build(7, 2);
        var y = new float[1];
        var report = agg.Aggregate(x, y);
        Assert.Equal(1f, y[0]); // tie 1 vs 2 → lower index
        Assert.Equal(new[] { 1 }, report.Selected);
        Assert.Equal(new[] { 0, 2, 3, 4, 5, 6 }, report.Suspects);
    }

    [Fact]
    public void Multikrum_averages_the_q_best()
    {
        float[][] x = [[0f], [1f], [2f], [3f], [100f], [101f], [102f]];
        // order by score: 1, 2 (6), then 0, 3 (14)
        Assert.Equal(1.5f, TestData.Run("multikrum(q=2)", x, 2)[0]);
        Assert.Equal(1.5f, TestData.Run("multikrum(q=4)", x, 2)[0]);
    }

    [Fact]
    public void Ctma_keeps_exactly_m_minus_f_closest_to_the_anchor_and_reports_suspects()
    {
        // Anchor = cwmed = (2, 11). Distances²: p0 4+1=5, p1 1+1=2, p2 0, p3 1+4=5, p4 huge.
        // f = 2 keeps 3: p2, p1, then p0 (tie with p3 at 5 broken by lower index).
        var agg = AggregatorSpec.Parse("ctma(cwmed)").Build(5, 2);
        var y = new float[2];
        var report = agg.Aggregate(X, y);
        Assert.Equal(new[] { 1f, 11f }, y); // mean of p0, p1, p2
        Assert.Equal(new[] { 0, 1, 2 }, report.Selected);
        Assert.Equal(new[] { 3, 4 }, report.Suspects);
    }

    [Fact]
    public void Weighted_ctma_counts_the_boundary_point_fractionally()
    {
        var ctma = (Ctma)AggregatorSpec.Parse("ctma(cwmed)").Build(5, 1);
        // δ = 1/5; weights 1,1,2,1,1 (total 6) → keep weight 4.8 in order p2 (2), p1 (1), p0 (1), then 0.8 of p3.
        var y = new float[2];
        var report = ctma.AggregateWeighted(X, [1, 1, 2, 1, 1], y);
        double ex = (2 * 2 + 1 * 1 + 1 * 0 + 0.8 * 3) / 4.8, ey = (2 * 11 + 1 * 12 + 1 * 10 + 0.8 * 13) / 4.8;
        Assert.Equal(ex, y[0], 5);
        Assert.Equal(ey, y[1], 5);
        Assert.Equal(new[] { 4 }, report.Suspects);
        // Equal weights reproduce the unweighted rule.
        var u = new float[2];
        ctma.AggregateWeighted(X, [3, 3, 3, 3, 3], u);
        Assert.Equal(TestData.Run(AggregatorSpec.Parse("ctma(cwmed)").Build(5, 1), X), u);
    }

    [Fact]
    public void Nnm_replaces_each_point_by_the_mean_of_its_nearest_then_applies_the_inner_rule()
    {
        // 1-d: 0, 1, 2, 3, 100 with f = 1 → each point's 4 nearest (itself included):
        // 0 → {0,1,2,3} = 1.5; 1 → 1.5; 2 → 1.5; 3 → 1.5; 100 → {100,3,2,1} = 26.5. Mean of those = 6.5.
        float[][] x = [[0f], [1f], [2f], [3f], [100f]];
        Assert.Equal(6.5f, TestData.Run("nnm(mean)", x, 1)[0]);
        Assert.Equal(1.5f, TestData.Run("nnm(cwmed)", x, 1)[0]);
    }

    [Fact]
    public void Bucketing_with_s_equal_1_is_the_inner_rule_and_with_s_equal_m_is_the_mean()
    {
        Assert.Equal(TestData.Run("cwmed", X, 1), TestData.Run("bucketing(s=1,cwmed)", X, 1));
        // s = 5 → one bucket holding everything (only possible with f = 0).
        Assert.Equal(TestData.Run("mean", X, 0), TestData.Run("bucketing(s=5,cwmed)", X, 0));
    }

    [Fact]
    public void Bucketing_averages_the_buckets_of_a_seeded_permutation_and_maps_the_report_back()
    {
        // m = 6, s = 2, f = 0, inner cwmed: the median of the three bucket means of the seed's permutation.
        float[][] x = [[0f], [10f], [20f], [30f], [40f], [80f]];
        int seed = 7;
        var perm = new int[6];
        AkkaByz.Core.Aggregation.Meta.Bucketing.Permutation(seed, 0, perm); // the first call's: the build seed and call 0
        var means = Enumerable.Range(0, 3).Select(b => (x[perm[2 * b]][0] + x[perm[2 * b + 1]][0]) / 2.0).Order().ToArray();
        Assert.Equal(means[1], TestData.Run("bucketing(s=2,cwmed)", x, 0, seed)[0], 5);

        // Inner krum on 4 buckets (m = 8, f = 0) selects one bucket: the output is that bucket's mean and the report
        // names its two members.
        float[][] z = [[0f], [1f], [2f], [3f], [50f], [60f], [70f], [200f]];
        var agg = AggregatorSpec.Parse("bucketing(s=2,krum)").Build(8, 0, seed);
        var y = new float[1];
        var report = agg.Aggregate(z, y);
        Assert.Equal(2, report.Selected.Count);
        Assert.Equal((z[report.Selected[0]][0] + z[report.Selected[1]][0]) / 2, y[0]);
        Assert.Equal(6, report.Suspects.Count);
    }

    [Fact]
    public void Nnm_plus_ctma_uses_the_nnm_anchor_and_trims_raw_vectors()
    {
        float[][] x = [[0f], [1f], [2f], [3f], [100f]];
        // anchor = nnm(cwmed) = 1.5; distances 1.5, .5, .5, 1.5, 98.5 → keep 4 (f=1): 1, 2, 0, 3 → mean 1.5
        var agg = AggregatorSpec.Parse("nnm+ctma(cwmed)").Build(5, 1);
        var y = new float[1];
        var report = agg.Aggregate(x, y);
        Assert.Equal(1.5f, y[0]);
        Assert.Equal(new[] { 4 }, report.Suspects);
        Assert.Equal("ctma(nnm(cwmed))", agg.Spec);
    }
}

/// <summary>Hand-worked cases for MeaMed, Bulyan, static clipping and ARC.</summary>
public class NewRulesHandComputedTests
{
    private static readonly float[][] X =
    [
        [0f, 10f],
        [1f, 12f],
        [2f, 11f],
        [3f, 13f],
        [100f, -50f],
    ];

    [Fact]
    public void Meamed_averages_the_m_minus_f_values_closest_to_the_median()
    {
        // f = 1, k = 4. x: 0 1 2 3 100, median 2, distances 2 1 0 1 98 → {0,1,2,3} → 1.5;
        // y: −50 10 11 12 13, median 11, distances 61 1 0 1 2 → {10,11,12,13} → 11.5.
        Assert.Equal(new[] { 1.5f, 11.5f }, TestData.Run("meamed", X, 1));
        // f = 2, k = 3: x → {1,2,3} = 2; y → {10,11,12} = 11.
        Assert.Equal(new[] { 2f, 11f }, TestData.Run("meamed", X, 2));
        // f = 0 is the mean.
        Assert.Equal(TestData.Run("mean", X, 0), TestData.Run("meamed", X, 0));
    }

    [Fact]
    public void Meamed_breaks_a_distance_tie_towards_the_smaller_value_and_uses_the_midpoint_median_for_even_m()
    {
        // m = 4, f = 1, k = 3: 0 2 4 6, median 3, distances 3 1 1 3: 2 and 4, then 0 (tie with 6) → (0+2+4)/3 = 2.
        float[][] x = [[6f], [0f], [4f], [2f]];
        Assert.Equal(2f, TestData.Run("meamed", x, 1)[0]);
    }

    [Fact]
    public void Bulyan_selects_by_repeated_krum_then_averages_the_beta_closest_to_the_median()
    {
        // m = 7, f = 1: θ = 5, β = 3. Values 0 1 2 3 4 5 100 (indices = positions).
        // Round 1 (|R| = 7, 4 nearest): scores 30 15 10 10 15 30 huge → index 2 (tie with 3, lower index).
        // Round 2 (|R| = 6, 3 nearest): 0: 26, 1: 14, 3: 9, 4: 11, 5: 21 → 3.
        // Round 3 (|R| = 5, 2 nearest): 0: 17, 1: 10, 4: 10, 5: 17 → 1 (tie with 4).
        // Round 4 (|R| = 4, max(2, 1) = 2 nearest): 0: 41, 4: 17, 5: 26 → 4.
        // Round 5 (|R| = 3, 2 nearest): 0: 10025, 5: 9050, 100: 19025 → 5.
        // Selected values 1..5; the β = 3 closest to their median 3: 2, 3, 4 → 3.
        float[][] x = [[0f], [1f], [2f], [3f], [4f], [5f], [100f]];
        var agg = AggregatorSpec.Parse("bulyan").Build(7, 1);
        var y = new float[1];
        var report = agg.Aggregate(x, y);
        Assert.Equal(3f, y[0]);
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, report.Selected);
        Assert.Equal(new[] { 0, 6 }, report.Suspects);
        var b = Assert.IsType<AkkaByz.Core.Aggregation.Rules.Bulyan>(agg);
        Assert.Equal((5, 3), (b.Theta, b.Beta));
        // f = 0: every input is selected and β = m: the mean.
        Assert.Equal(TestData.Run("mean", x, 0), TestData.Run("bulyan", x, 0));
    }

    [Fact]
    public void Clip_scales_each_input_to_norm_at_most_c_then_applies_the_inner_rule()
    {
        // (3, 4) has norm 5 → (0.6, 0.8) at c = 1; (0, 0.5) and (0, 0) are left alone. Mean: (0.2, 1.3/3).
        float[][] x = [[3f, 4f], [0f, 0.5f], [0f, 0f]];
        var y = TestData.Run("clip(c=1,mean)", x, 1);
        Assert.Equal(0.2, y[0], 6);
        Assert.Equal(1.3 / 3, y[1], 6);
        Assert.Equal(new[] { 3f, 4f }, x[0]); // the caller's vectors are not modified
        // The default c is 2: (3, 4) → (1.2, 1.6).
        Assert.Equal(1.2, TestData.Run("clip(cwmed)", [[3f, 4f]], 0)[0], 6);
    }

    [Fact]
    public void Arc_clips_the_k_largest_to_the_next_norm()
    {
        // m = 5, f = 1: k = ⌊2·1·4/5⌋ = 1: −100 is clipped to norm 3 (keeping its sign) → mean(0,1,2,3,−3) = 0.6.
        float[][] x = [[0f], [1f], [2f], [3f], [-100f]];
        Assert.Equal(0.6f, TestData.Run("arc(mean)", x, 1)[0], 6);
        // f = 2: k = ⌊2·2·3/5⌋ = 2: −100 and 3 are clipped to norm 2 → mean(0,1,2,2,−2) = 0.6.
        Assert.Equal(0.6f, TestData.Run("arc(mean)", x, 2)[0], 6);
        // f = 0: k = 0, nothing is clipped.
        Assert.Equal(TestData.Run("mean", x, 0), TestData.Run("arc(mean)", x, 0));
        Assert.Equal(8, AkkaByz.Core.Aggregation.Meta.AdaptiveRobustClipping.ClippedCount(17, 8)); // ⌊144/17⌋
        Assert.Equal(3, AkkaByz.Core.Aggregation.Meta.AdaptiveRobustClipping.ClippedCount(8, 2));  // exactly 3
    }

    [Fact]
    public void Mda_averages_the_subset_of_smallest_diameter()
    {
        // 1-d 0, 1, 2, 3, 10, 11 with f = 2 (subsets of 4): {0,1,2,3} has diameter 3, any subset with 10 or 11 at
        // least 8 → mean 1.5.
        float[][] x = [[0f], [1f], [2f], [3f], [10f], [11f]];
        var agg = AggregatorSpec.Parse("mda").Build(6, 2);
        var y = new float[1];
        var report = agg.Aggregate(x, y);
        Assert.Equal(1.5f, y[0]);
        Assert.Equal(new[] { 0, 1, 2, 3 }, report.Selected);
        Assert.Equal(new[] { 4, 5 }, report.Suspects);
        // Equal diameters, different sums (all values exact in float). A = (0,0), A' = (0.25,0), B = (2,0), B' = (1.75,0),
        // C = (1.25,0.5), D = (1.25,−0.5), f = 1: dropping A or B leaves diameter² 1.75² = 3.0625 (every other drop
        // leaves A–B, 4). Sums of squared distances: without A 11.5, without B 13.5 → drop A: mean x = 6.5/5 = 1.3.
        // (Index order alone would drop B, the first such subset: 0.9.)
        float[][] z = [[0f, 0f], [0.25f, 0f], [2f, 0f], [1.75f, 0f], [1.25f, 0.5f], [1.25f, -0.5f]];
        var r = AggregatorSpec.Parse("mda").Build(6, 1).Aggregate(z, y = new float[2]);
        Assert.Equal(1.3, y[0], 5);
        Assert.Equal(0, y[1], 6);
        Assert.Equal(new[] { 0 }, r.Suspects);
        // Ties in both (0, 1, 2, 3 at f = 1: {0,1,2} and {1,2,3}): the first in index order.
        float[][] t = [[0f], [1f], [2f], [3f]];
        Assert.Equal(1f, TestData.Run("mda", t, 1)[0]);
        float[][] u = [[3f], [2f], [1f], [0f]];
        Assert.Equal(2f, TestData.Run("mda", u, 1)[0]); // now {3,2,1} (indices 0,1,2) is first → mean 2
    }

    [Fact]
    public void Monna_averages_the_m_minus_f_nearest_to_the_pivot()
    {
        // 1-d 0, 1, 2, 3, 100, f = 2 (3 nearest). Pivot 0 → {0, 1, 2} = 1; pivot 3 → {3, 2, 1} = 2; pivot 4 (the
        // outlier) → {100, 3, 2} = 35.
        float[][] x = [[0f], [1f], [2f], [3f], [100f]];
        Assert.Equal(1f, TestData.Run("monna", x, 2)[0]);
        Assert.Equal(2f, TestData.Run("monna(pivot=3)", x, 2)[0]);
        Assert.Equal(35f, TestData.Run("monna(pivot=4)", x, 2)[0]);
        var report = AggregatorSpec.Parse("monna(pivot=3)").Build(5, 2).Aggregate(x, new float[1]);
        Assert.Equal(new[] { 1, 2, 3 }, report.Selected);
    }

    [Fact]
    public void Clipping_pre_aggregators_pass_the_inner_report_through_and_compose()
    {
        float[][] x = [[0f], [1f], [2f], [3f], [4f], [5f], [100f]];
        var agg = AggregatorSpec.Parse("arc(bulyan)").Build(7, 1);
        var y = new float[1];
        var report = agg.Aggregate(x, y);
        Assert.Equal(3f, y[0]); // 100 clipped to 5 ties with 5; Bulyan's median window is still 2, 3, 4
        Assert.Equal(2, report.Suspects.Count);
        Assert.Equal("arc(bulyan)", agg.Spec);
        Assert.Equal("ctma(clip(c=5,nnm(cwtm)))", AggregatorSpec.Parse("ctma(clip(c=5,nnm(cwtm)))").Build(7, 1).Spec);
    }
}

/// <summary>GeoMed's distances cannot cancel: one input of norm 1e25 beside honest inputs of spread ≈ 1.</summary>
public class GeometricMedianPrecisionTests
{
    [Theory]
    [InlineData(17, 30, 1e25)]
    [InlineData(17, 30, 1e20)]
    [InlineData(17, 3, 1e25)]
    [InlineData(50, 30, 1e25)]
    public void A_huge_input_does_not_throw_the_iterate_off(int m, int iters, double norm)
    {
        const int d = 64;
        var rng = new Random(11);
        var x = TestData.Gaussian(rng, m, d, mean: 0, sd: 1 / Math.Sqrt(d)); // honest spread ≈ 1
        var dir = TestData.Gaussian(rng, 1, d)[0];
        double dn = TestData.Norm(dir.Select(v => (double)v));
        x[3] = dir.Select(v => (float)(v / dn * norm)).ToArray();
        var honest = x.Where((_, i) => i != 3).Select(v => v.Select(c => (double)c).ToArray()).ToArray();
        var hmean = ScalarReference.Mean(honest);
        var spec = $"geomed(iters={iters})";
        var y = TestData.Run(spec, x, 1).Select(v => (double)v).ToArray();
        var exact = ScalarReference.Aggregate(AggregatorSpec.Parse(spec), x, 1);
        double err = Math.Sqrt(ScalarReference.D2(y, hmean)), exactErr = Math.Sqrt(ScalarReference.D2(exact, hmean));
        double gap = Math.Sqrt(ScalarReference.D2(y, exact));
        // The fast rule lands where exact (double) Weiszfeld lands, to float rounding of the input's scale.
        Assert.True(gap <= 1e-3 * (1 + exactErr), $"m={m} T={iters} |x|={norm:G2}: {err:G4} from the honest mean, exact {exactErr:G4}, gap {gap:G4}");
    }
}
