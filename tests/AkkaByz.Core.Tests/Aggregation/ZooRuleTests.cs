using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Aggregation.Rules;
using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Tests.Aggregation;

/// <summary>Hand-computed cases of the subset, spectral and stateful rules (SMEA, CAF, DnC, SignGuard, CC).</summary>
public class ZooRuleTests
{
    private static readonly float[][] Line = [[0f], [1f], [2f], [3f], [100f]];

    [Fact]
    public void Smea_averages_the_subset_of_smallest_top_covariance_eigenvalue()
    {
        // 1-d 0, 1, 2, 3, 10, 11, f = 2: {0,1,2,3} has variance 1.25, any 4-subset with 10 or 11 more → mean 1.5.
        float[][] x = [[0f], [1f], [2f], [3f], [10f], [11f]];
        var report = AggregatorSpec.Parse("smea").Build(6, 2).Aggregate(x, new float[1]);
        Assert.Equal(1.5f, TestData.Run("smea", x, 2)[0]);
        Assert.Equal(new[] { 0, 1, 2, 3 }, report.Selected);
        Assert.Equal(new[] { 4, 5 }, report.Suspects);
        // 2-d, f = 1 (the complement enumeration): (0,0), (4,0), (0,1), (4,1), (2,0.5). Every drop of a corner leaves a
        // congruent set (equal eigenvalues up to rounding), smaller than dropping the centre; the first kept subset in
        // index order wins: {0, 1, 2, 4} (drop (4,1)), whose mean is (1.5, 0.375).
        float[][] z = [[0f, 0f], [4f, 0f], [0f, 1f], [4f, 1f], [2f, 0.5f]];
        var y = TestData.Run("smea", z, 1);
        Assert.Equal(1.5, y[0], 5);
        Assert.Equal(0.375, y[1], 5);
        Assert.Equal(ScalarReference.Aggregate(AggregatorSpec.Parse("smea"), z, 1).Select(v => (float)v), y);
        // f = 0: the mean.
        Assert.Equal(TestData.Run("mean", x, 0), TestData.Run("smea", x, 0));
    }

    [Fact]
    public void Smea_refuses_an_exact_search_that_is_too_large()
    {
        var e = Assert.Throws<ArgumentException>(() => AggregatorSpec.Parse("smea").Build(128, 63));
        Assert.Contains("SMEA searches the C(m, m − f) subsets", e.Message);
        Assert.Contains("f at most", e.Message);
        AggregatorSpec.Parse("smea").Build(17, 8); // 24,310 subsets of order 9: fine
    }

    [Fact]
    public void Caf_filters_along_the_top_eigenvector_and_returns_the_mean_of_smallest_eigenvalue()
    {
        // m = 5, f = 1, 1-d 0 1 2 3 100 (in 1-d the eigenvector is ±1 and τ_i = (x_i − μ)²).
        // Step 1: μ = 21.2, λ = 1553.36; τ_max is 100's (78.8² = 6209.44) → its weight 0; Σc = 5 − 7766.8/6209.44 = 3.749 > 3.
        // Step 2: weights 1 − τ_i/τ_max = 0.92762, 0.93429, 0.94063, 0.94666 → μ = 5.65552/3.74919 = 1.5084621, λ = 1.24976
        // (the smallest); then Σc = 1.69 ≤ 3: stop. Output 1.5084621.
        Assert.Equal(1.5084620539165994, TestData.Run("caf", Line, 1)[0], 5);
        var report = AggregatorSpec.Parse("caf").Build(5, 1).Aggregate(Line, new float[1]);
        Assert.Equal(new[] { 4 }, report.Suspects);
        // f = 0: one step (ByzFL's loop would not run at all and return nothing): the mean.
        Assert.Equal(21.2f, TestData.Run("caf", Line, 0)[0], 4);
    }

    [Fact]
    public void Dnc_drops_the_largest_projections_on_the_top_singular_vector()
    {
        // d = 1: the sample is the coordinate itself, the top singular vector ±1, scores (x_i − 21.2)².
        Assert.Equal(1.5f, TestData.Run("dnc", Line, 1)[0]);          // drops 100 every time
        Assert.Equal(2f, TestData.Run("dnc", Line, 2)[0]);            // drops 100 and 0
        Assert.Equal(21.2f, TestData.Run("dnc(c=0)", Line, 2)[0], 4); // drops none
        Assert.Equal(1.5f, TestData.Run("dnc(c=0.5)", Line, 2)[0]);   // ⌈0.5·2⌉ = 1 dropped
        var e = Assert.Throws<ArgumentException>(() => AggregatorSpec.Parse("dnc(c=3)").Build(5, 2));
        Assert.Contains("c·f must be below m", e.Message);
    }

    [Fact]
    public void Dnc_draws_new_coordinates_each_call_from_its_state()
    {
        var rng = new Random(5);
        var x = TestData.Gaussian(rng, 9, 500);
        var a = AggregatorSpec.Parse("dnc(dim=3,iters=1)").Build(9, 3, seed: 4);
        var first = TestData.Run(a, x);
        var calls = Enumerable.Range(0, 6).Select(_ => TestData.Run(a, x)).ToList();
        Assert.Contains(calls, y => TestData.MaxAbsDiff(y, first) > 0); // the coordinates changed, so did the kept set
        Assert.Equal(7, a.State!.SlotCount == 1 ? GetCounter(a.State) : -1);
        a.State.Reset();
        Assert.Equal(first, TestData.Run(a, x)); // back to the first call's coordinates
    }

    private static long GetCounter(AggregatorState s)
    {
        var copy = new AggregatorState(s.Spec);
        copy.Load(s.Save());
        return BitConverter.ToInt64(copy.Save(), 4 + 1 + 4 + System.Text.Encoding.UTF8.GetByteCount(s.Spec) + 4);
    }

    [Fact]
    public void SignGuard_filters_by_norm_then_keeps_the_larger_sign_cluster_and_clips_to_the_median_norm()
    {
        // Norms √2, √5, √5, √2, 50: median √5. 50/√5 > 3 → (30, 40) fails the norm filter. Signs on both coordinates
        // (frac = 1): (−1, −1) is all-negative, the others all-positive → 2-means splits it off. S = {0, 1, 2}; their
        // norms are ≤ √5, so nothing is clipped: (4/3, 4/3).
        float[][] x = [[1f, 1f], [2f, 1f], [1f, 2f], [-1f, -1f], [30f, 40f]];
        var agg = AggregatorSpec.Parse("signguard(frac=1)").Build(5, 2);
        var y = new float[2];
        var report = agg.Aggregate(x, y);
        Assert.Equal(4 / 3.0, y[0], 6);
        Assert.Equal(4 / 3.0, y[1], 6);
        Assert.Equal(new[] { 0, 1, 2 }, report.Selected);
        // With upper = 30 the large input passes the norm filter (same signs as the majority) and is clipped to √5:
        // mean of (1,1), (2,1), (1,2), (30,40)·√5/50.
        var z = TestData.Run("signguard(frac=1,upper=30)", x, 2);
        double s = Math.Sqrt(5) / 50;
        Assert.Equal((4 + 30 * s) / 4, z[0], 5);
        Assert.Equal((4 + 40 * s) / 4, z[1], 5);
    }

    [Fact]
    public void Centered_clipping_starts_from_the_median_then_from_its_previous_output()
    {
        // m = 3, τ = 2: x = 0, 3, 4. Call 1 from the median 3: differences −3, 0, 1 → clipped −2, 0, 1 → v = 3 − 1/3 = 8/3.
        // Call 2 from 8/3: −8/3, 1/3, 4/3 → −2, 1/3, 4/3 → v = 8/3 − 1/9 = 23/9.
        float[][] x = [[0f], [3f], [4f]];
        var a = AggregatorSpec.Parse("cc(tau=2)").Build(3, 1);
        Assert.Equal(8 / 3.0, TestData.Run(a, x)[0], 6);
        Assert.Equal(23 / 9.0, TestData.Run(a, x)[0], 5);
        // A fresh instance starts over; one given the first instance's state continues it (any m, f).
        Assert.Equal(8 / 3.0, TestData.Run("cc(tau=2)", x, 1)[0], 6);
        var b = AggregatorSpec.Parse("cc(tau=2)").Build(3, 0);
        b.UseState(a.State!);
        // Call 3 (by b, built for another f) from 23/9: −23/9 → −2, 4/9, 13/9 → v = 23/9 − 1/27 = 68/27.
        Assert.Equal(68 / 27.0, TestData.Run(b, x)[0], 5);
        // iters = 2 in one call equals two calls of iters = 1.
        Assert.Equal(23 / 9.0, TestData.Run("cc(iters=2,tau=2)", x, 1)[0], 5);
        // Reset: the next call is a first call again.
        a.State!.Reset();
        Assert.Equal(8 / 3.0, TestData.Run(a, x)[0], 6);
    }

    [Fact]
    public void Stateful_rules_inside_meta_rules_share_one_state_across_m_and_f()
    {
        var rng = new Random(3);
        var x9 = TestData.Gaussian(rng, 9, 300, mean: 5);
        var x8 = x9.Take(8).ToArray();
        var spec = AggregatorSpec.Parse("ctma(cc(tau=1))");
        // Reference: one instance per call, the state carried by hand.
        var one = spec.Build(9, 2);
        var r1 = TestData.Run(one, x9);
        var other = spec.Build(8, 3);
        other.UseState(one.State!);
        var r2 = TestData.Run(other, x8);
        // Same two calls through save/load into a fresh pair of instances.
        var a = spec.Build(9, 2);
        Assert.Equal(r1, TestData.Run(a, x9));
        var saved = a.State!.Save();
        var b = spec.Build(8, 3);
        b.State!.Load(saved);
        Assert.Equal(r2, TestData.Run(b, x8));
        Assert.Equal("ctma(cc(tau=1))", a.State.Spec);
        Assert.Null(AggregatorSpec.Parse("ctma(cwtm)").Build(9, 2).State);
    }

    [Theory]
    [InlineData("bucketing(s=2,cwmed)")]
    [InlineData("bucketing(s=2,cwtm)")]
    [InlineData("ctma(bucketing(s=2,cc(tau=1)))")]
    public void Bucketings_permutation_stream_is_its_state_saved_restored_and_shared(string rule)
    {
        var rng = new Random(11);
        var x = TestData.Gaussian(rng, 12, 64, mean: 2);
        var spec = AggregatorSpec.Parse(rule);
        // Reference: one instance, five calls in a row.
        var reference = spec.Build(12, 2, seed: 5);
        var expected = Enumerable.Range(0, 5).Select(_ => TestData.Run(reference, x)).ToArray();
        if (rule.StartsWith("bucketing", StringComparison.Ordinal)) Assert.NotEqual(expected[0], expected[1]); // a new permutation per call

        // Two calls, the state saved, restored into a fresh instance: calls 3..5 as the reference's.
        var first = spec.Build(12, 2, seed: 5);
        Assert.NotNull(first.State);
        Assert.Equal(expected[0], TestData.Run(first, x));
        Assert.Equal(expected[1], TestData.Run(first, x));
        var saved = first.State!.Save();
        var restored = spec.Build(12, 2, seed: 5);
        restored.State!.Load(saved);
        for (int c = 2; c < 5; c++) Assert.Equal(expected[c], TestData.Run(restored, x));

        // An instance built for another f, given the shared state, continues the same permutation stream.
        var shared = spec.Build(12, 2, seed: 5);
        TestData.Run(shared, x);
        var otherF = spec.Build(12, 1, seed: 5);
        otherF.UseState(shared.State!);
        var fresh = spec.Build(12, 1, seed: 5);
        TestData.Run(fresh, x); // call 0 at f = 1, its output discarded
        Assert.Equal(TestData.Run(fresh, x), TestData.Run(otherF, x));

        // Reset: the next call is a first call again.
        restored.State.Reset();
        Assert.Equal(expected[0], TestData.Run(restored, x));
    }

    [Fact]
    public void Aggregator_state_bytes_are_checked()
    {
        var a = AggregatorSpec.Parse("cc").Build(3, 1);
        TestData.Run(a, [[1f, 2f], [3f, 4f], [5f, 7f]]);
        var bytes = a.State!.Save();
        Assert.Equal(a.State.SerializedLength, bytes.Length);
        var wrong = new AggregatorState("cc(tau=3)");
        Assert.Contains("is of rule 'cc'", Assert.Throws<InvalidDataException>(() => wrong.Load(bytes)).Message);
        var same = new AggregatorState("cc");
        Assert.Throws<InvalidDataException>(() => same.Load(bytes.AsSpan(0, bytes.Length - 3)));
        bytes[0] ^= 1;
        Assert.Contains("bad magic", Assert.Throws<InvalidDataException>(() => same.Load(bytes)).Message);
        Assert.Throws<ArgumentException>(() => AggregatorSpec.Parse("cc(tau=3)").Build(3, 1).UseState(a.State));
    }

    [Fact]
    public void Top_eigenpairs_match_mathnet()
    {
        var rng = new Random(8);
        foreach (int n in new[] { 1, 2, 3, 9, 17, 24, 25, 40 })
        {
            var b = TestData.Gaussian(rng, n, n);
            var a = new double[n * n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) for (int k = 0; k < n; k++) a[i * n + j] += b[i][k] * b[j][k];
            var mat = new double[n, n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) mat[i, j] = a[i * n + j];
            var (value, vector) = ScalarReference.TopEigen(mat);
            var v = new double[n];
            double got = SpectralKernels.TopEigen(a, n, v, new double[n * n]);
            Assert.True(Math.Abs(got - value) <= 1e-10 * value, $"n={n}: {got} vs {value}");
            double dot = Math.Abs(v.Zip(vector, (p, q) => p * q).Sum());
            Assert.True(Math.Abs(dot - 1) <= 1e-8, $"n={n}: |⟨v, v*⟩| = {dot}");
        }
    }
}
