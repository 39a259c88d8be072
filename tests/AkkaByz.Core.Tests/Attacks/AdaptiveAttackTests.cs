using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Attacks;

namespace AkkaByz.Core.Tests.Attacks;

/// <summary>MinMax, MinSum (Shejwalkar &amp; Houmansadr 2021) and Opt-IPM, Opt-ALIE (ByzFL): hand-computed cases and properties.</summary>
public class AdaptiveAttackTests
{
    private static float[] Craft(IAttack attack, float[][] honest, int m, int f)
    {
        var output = new float[honest[0].Length];
        attack.Craft(new AttackContext(1, m, f, 0, ReadOnlyMemory<float>.Empty, honest, 0), output);
        return output;
    }

    private static void Near(double[] expected, float[] actual, double tol = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var j = 0; j < expected.Length; j++) Assert.True(Math.Abs(expected[j] - actual[j]) < tol, $"coordinate {j}: expected {expected[j]}, got {actual[j]}");
    }

    // Honest values {0, 0, 3}: μ = 1, pairwise max ‖·‖² = 9, max row sum of squared distances = 18 (for 3).
    private static readonly float[][] Line = [[0f], [0f], [3f]];

    [Theory]
    [InlineData("unit", 1.0, 0.0)]     // p = −1: (2 + γ)² ≤ 9 → γ = 1, μ − 1 = 0
    [InlineData("sign", 1.0, 0.0)]
    [InlineData("std", 0.57735, 0.0)]  // σ = √3, p = −√3: (2 + √3γ)² ≤ 9 → γ = 1/√3
    public void MinMax_takes_the_largest_gamma_within_the_honest_diameter(string dir, double gamma, double value)
    {
        var attack = (MinMaxAttack)AttackRegistry.Create($"minmax(dir={dir})");
        Near([value], Craft(attack, Line, 5, 2));
        Assert.Equal(gamma, attack.LastGamma, 4);
    }

    [Theory]
    [InlineData("unit", 2.0, -1.0)]    // 2(1 − γ)² + (2 + γ)² = 6 + 3γ² ≤ 18 → γ = 2
    [InlineData("std", 1.1547, -1.0)]  // u = √3γ: 6 + 3u² ≤ 18 → u = 2
    public void MinSum_takes_the_largest_gamma_within_the_largest_honest_sum(string dir, double gamma, double value)
    {
        var attack = (MinSumAttack)AttackRegistry.Create($"minsum(dir={dir})");
        Near([value], Craft(attack, Line, 5, 2));
        Assert.Equal(gamma, attack.LastGamma, 4);
    }

    [Fact]
    public void Two_dimensional_sign_direction_by_hand()
    {
        // Honest (0,5), (0,5), (3,5): μ = (1,5), sign p = (−1,−1).
        float[][] honest = [[0f, 5f], [0f, 5f], [3f, 5f]];
        // MinMax: (2 + γ)² + γ² ≤ 9 → 2γ² + 4γ − 5 = 0 → γ = (−4 + √56)/4.
        var g = (-4 + Math.Sqrt(56)) / 4;
        Near([1 - g, 5 - g], Craft(AttackRegistry.Create("minmax(dir=sign)"), honest, 5, 2));
        // MinSum: 2((1 − γ)² + γ²) + (2 + γ)² + γ² = 6 + 6γ² ≤ 18 → γ = √2.
        Near([1 - Math.Sqrt(2), 5 - Math.Sqrt(2)], Craft(AttackRegistry.Create("minsum(dir=sign)"), honest, 5, 2));
    }

    [Fact]
    public void Equal_honest_vectors_give_the_mean()
    {
        float[][] honest = [[1f, 2f], [1f, 2f], [1f, 2f]];
        Near([1, 2], Craft(AttackRegistry.Create("minmax(dir=std)"), honest, 5, 2));
        Near([0, 0], Craft(AttackRegistry.Create("minsum(dir=unit)"), [[0f, 0f], [0f, 0f]], 3, 1)); // μ = 0: no unit direction
    }

    /// <summary>Random honest sets, d large enough for the parallel kernels: the output meets the constraint with γ
    /// maximal (1 % more breaks it), checked by brute force in double.</summary>
    [Theory]
    [InlineData(9, 8, 70_000, "minmax", "std")]
    [InlineData(9, 8, 70_000, "minsum", "unit")]
    [InlineData(5, 3, 257, "minmax", "sign")]
    [InlineData(12, 5, 1000, "minsum", "std")]
    public void The_output_meets_the_constraint_and_gamma_is_maximal(int n, int f, int d, string name, string dir)
    {
        var rng = new Random(n * 31 + d);
        var honest = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() * 2 - 1 + 0.3)).ToArray()).ToArray();
        var attack = (ShejwalkarAttack)AttackRegistry.Create($"{name}(dir={dir})");
        var output = Craft(attack, honest, n + f, f);
        Assert.True(attack.LastGamma > 0);
        double D2(float[] a, float[] b) { double s = 0; for (var j = 0; j < d; j++) { double t = a[j] - b[j]; s += t * t; } return s; }
        double Score(float[] v) => name == "minmax" ? honest.Max(h => D2(v, h)) : honest.Sum(h => D2(v, h));
        double threshold = name == "minmax"
            ? honest.SelectMany(a => honest.Select(b => D2(a, b))).Max()
            : honest.Max(a => honest.Sum(b => D2(a, b)));
        Assert.True(Score(output) <= threshold * (1 + 1e-5), $"score {Score(output)} above threshold {threshold}");
        // 1 % further along the same direction breaks the constraint.
        var mean = Enumerable.Range(0, d).Select(j => honest.Average(h => (double)h[j])).ToArray();
        var further = Enumerable.Range(0, d).Select(j => (float)(mean[j] + 1.01 * (output[j] - mean[j]))).ToArray();
        Assert.True(Score(further) > threshold, "γ is not maximal");
    }

    private sealed class CountingRule(IAggregator inner) : IAggregator
    {
        public int Calls;
        public string Spec => inner.Spec;
        public int M => inner.M;
        public int F => inner.F;
        public AggregationReport Aggregate(IReadOnlyList<float[]> inputs, Span<float> output) { Calls++; return inner.Aggregate(inputs, output); }
    }

    [Fact]
    public void OptIpm_against_the_mean_follows_the_expansion_by_hand_and_costs_evals_aggregations()
    {
        // Against the mean, ‖agg − μ‖ = f(1 + τ)‖μ‖/(n + f) grows with τ: τ = 0, 10, 30 are evaluated (δ doubles), τ = 30 wins.
        float[][] honest = [[1f, 2f, 3f], [4f, 5f, 6f], [7f, 8f, 9f]];
        CountingRule? rule = null;
        var env = new AttackEnvironment((m, f) => rule = new CountingRule(AggregatorSpec.Parse("mean").Build(m, f)));
        var attack = (OptimalIpmAttack)AttackRegistry.Create("optipm(evals=3)", env);
        Near([-120, -150, -180], Craft(attack, honest, 5, 2)); // −30 μ, μ = (4, 5, 6)
        Assert.Equal(30, attack.Last.Factor);
        Assert.NotNull(rule);
        Assert.Equal((5, 2), (rule!.M, rule.F)); // built for n + f inputs
        Assert.Equal(3, rule.Calls);
        Craft(attack, honest, 5, 2);
        Assert.Equal(6, rule.Calls); // the rule is cached, evals calls per craft
        Assert.Equal("optipm(delta=10,evals=3,ratio=0.8,start=0)", attack.Name);
    }

    [Fact]
    public void With_fewer_honest_vectors_than_the_rule_allows_the_search_runs_against_the_mean()
    {
        // Run built for m = 17, f = 8, but only 7 honest vectors reached the adversary: cwtm cannot take 15 inputs at f = 8.
        float[][] honest = [.. Enumerable.Range(0, 7).Select(i => new[] { 1f + i, 2f })];
        var env = new AttackEnvironment((m, f) => AggregatorSpec.Parse("ctma(cwtm)").Build(m, f));
        var attack = (OptimalIpmAttack)AttackRegistry.Create("optipm(evals=3)", env);
        var output = Craft(attack, honest, 17, 8);
        Assert.Equal(30, attack.Last.Factor); // the mean's distance grows with τ: 0, 10, 30
        Near([-120, -60], output); // −30 μ, μ = (4, 2)
    }

    [Fact]
    public void OptAlie_against_the_mean_by_hand()
    {
        // σ per coordinate = 3 (sample std of 1, 4, 7); τ = 0, 10, 30 evaluated, τ = 30: μ + 30σ = μ + 90.
        float[][] honest = [[1f, 2f, 3f], [4f, 5f, 6f], [7f, 8f, 9f]];
        var attack = (OptimalAlieAttack)AttackRegistry.Create("optalie(evals=3)");
        Near([94, 95, 96], Craft(attack, honest, 5, 2), 1e-4);
        Near([4, 5, 6], Craft(AttackRegistry.Create("optalie(evals=1)"), honest, 5, 2)); // one evaluation: τ = start = 0
    }

    [Fact]
    public void The_contraction_phase_shrinks_delta_by_the_ratio()
    {
        // cwmed over (n = 3 honest, f = 2): against IPM the median stays an honest value once τ > 0, so τ + δ never
        // improves on τ = 10 after the first expansion step... with a start of −1 (positive Byzantine vectors) the
        // distance is largest at τ = −1 and the search can only confirm it: the factor stays the start.
        float[][] honest = [[1f], [2f], [3f]];
        var env = new AttackEnvironment((m, f) => AggregatorSpec.Parse("cwmed").Build(m, f));
        var attack = (OptimalIpmAttack)AttackRegistry.Create("optipm(evals=6,start=-1,delta=0.5)", env);
        Craft(attack, honest, 5, 2);
        // τ = −1: byz = 2 → inputs {1,2,3,2,2}, median 2 = μ: distance 0. τ = −0.5: byz = 1 → median 2, 0. No τ of
        // the search moves the median by more than its best, so the distance found equals the best evaluated.
        Assert.True(attack.Last.Distance >= 0);
        var searched = new[] { -1.0, -0.5 }.Select(t => Distance(honest, env, t)).Max();
        Assert.True(attack.Last.Distance >= searched - 1e-9);
    }

    private static double Distance(float[][] honest, AttackEnvironment env, double tau, int f = 2)
    {
        var ipm = new IpmAttack(tau);
        var byz = Craft(ipm, honest, honest.Length + f, f);
        var rule = env.CreateAggregator!(honest.Length + f, f);
        var agg = new float[byz.Length];
        rule.Aggregate([.. honest, .. Enumerable.Repeat(byz, f)], agg);
        var mu = Enumerable.Range(0, byz.Length).Select(j => honest.Average(h => (double)h[j])).ToArray();
        return Math.Sqrt(agg.Select((v, j) => (v - mu[j]) * (v - mu[j])).Sum());
    }

    [Theory]
    [InlineData("ctma(cwtm)")]
    [InlineData("nnm(cwtm)")]
    [InlineData("cwmed")]
    public void Opt_attacks_do_at_least_as_well_as_the_first_two_factors_they_evaluate(string rule)
    {
        var rng = new Random(5);
        var honest = Enumerable.Range(0, 9).Select(_ => Enumerable.Range(0, 50).Select(_ => (float)(rng.NextDouble() + 0.5)).ToArray()).ToArray();
        var env = new AttackEnvironment((m, f) => AggregatorSpec.Parse(rule).Build(m, f));
        var attack = (OptimalIpmAttack)AttackRegistry.Create("optipm", env);
        Craft(attack, honest, 17, 8);
        var (d0, d10) = (Distance(honest, env, 0, 8), Distance(honest, env, 10, 8));
        Assert.True(attack.Last.Distance >= d0 - 1e-5, $"found {attack.Last}, τ = 0 gives {d0}");
        Assert.True(attack.Last.Distance >= d10 - 1e-5, $"found {attack.Last}, τ = 10 gives {d10}");
    }

    [Theory]
    [InlineData("IPM(0.5)", "ipm(eps=0.5)")]
    [InlineData("ipm(eps = 0.1)", "ipm(eps=0.1)")]
    [InlineData("alie(z=1.5)", "alie(z=1.5)")]
    [InlineData("minmax(dir=STD)", "minmax(dir=std)")]
    [InlineData("min-sum(unit)", "minsum(dir=unit)")]
    [InlineData("opt-ipm(evals=5, ratio=0.9)", "optipm(evals=5,ratio=0.9)")]
    [InlineData("mimic(3)", "mimic(target=3)")]
    public void Attack_specs_parse_to_the_canonical_text(string text, string canonical) =>
        Assert.Equal(canonical, AttackRegistry.Canonical(text));

    [Theory]
    [InlineData("ipm(eps=x)", "parameter 'eps' of 'ipm' needs a number, got 'x'", "geomed(nu=x)", "parameter 'nu' of 'geomed' needs a number, got 'x'")]
    [InlineData("ipm(z=1)", "'ipm' has no parameter 'z' (valid: eps (a number))", "geomed(z=1)", "'geomed' has no parameter 'z' (valid: iters")]
    [InlineData("ipm(eps=1,eps=2)", "parameter 'eps' of 'ipm' is given twice", "geomed(nu=1,nu=2)", "parameter 'nu' of 'geomed' is given twice")]
    [InlineData("ipm(eps=1", "missing ')' after the arguments of 'ipm'", "geomed(nu=1", "missing ')' after the arguments of 'geomed'")]
    [InlineData("fang", "unknown attack 'fang' (valid: none, sf, lf, ipm, alie", "fang", "unknown rule 'fang' (valid: mean")]
    public void Attack_and_rule_specs_share_the_parser_and_its_messages(string attack, string attackProblem, string rule, string ruleProblem)
    {
        var a = Assert.Throws<AttackSpecException>(() => AttackRegistry.Create(attack));
        Assert.Contains(attackProblem, a.Problem);
        Assert.Contains("Attacks:", a.Message);
        var r = Assert.Throws<AggregatorSpecException>(() => AggregatorSpec.Parse(rule));
        Assert.Contains(ruleProblem, r.Problem);
    }

    [Theory]
    [InlineData("minmax(dir=foo)", "must be one of unit, std, sign, got 'foo'")]
    [InlineData("optipm(ratio=0.4)", "parameter 'ratio' of 'optipm' must be a number in (0.5, 1)")]
    [InlineData("optipm(evals=0)", "parameter 'evals' of 'optipm' must be an integer in [1, 10000]")]
    [InlineData("optalie(delta=0)", "a non-zero number")]
    [InlineData("gaussian(sigma=-1)", "parameter 'sigma' of 'gaussian' must be a number ≥ 0")]
    [InlineData("sf(2)", "'sf' takes no inner attack and no parameters")]
    public void Bad_parameters_are_named(string spec, string problem) =>
        Assert.Contains(problem, Assert.Throws<AttackSpecException>(() => AttackRegistry.Create(spec)).Problem);

    [Fact]
    public void Every_catalog_attack_builds_from_its_usage_and_says_whether_it_is_omniscient()
    {
        foreach (var info in AttackRegistry.Describe())
        {
            var usage = info.Usage.Replace("z=formula", "z=1");
            var attack = AttackRegistry.Create(usage);
            Assert.Equal(info.Omniscient, attack.NeedsHonestVectors);
            Assert.Equal(attack.Name, AttackRegistry.Create(attack.Name).Name); // the name is a spec of the same attack
        }
    }

    [Fact]
    public void A_registered_attack_is_named_like_a_built_in_one()
    {
        AttackRegistry.Register(new AttackInfo("test-scale", [], [RuleParameter.Number("k")], "test-scale(k=2)", "k × own update (test)", false,
            a => new ScaleAttack(a.Number("k", 2))));
        var output = new float[2];
        AttackRegistry.Create("test-scale(k=3)").Craft(new AttackContext(1, 5, 2, 0, new float[] { 1f, -2f }, [], 0), output);
        Assert.Equal([3f, -6f], output);
        Assert.Contains("test-scale", AttackRegistry.Names);
        Assert.Throws<ArgumentException>(() => AttackRegistry.Register(new AttackInfo("alie", [], [], "alie", "dup", false, _ => new NoAttack())));
        Assert.Contains("parameter 'k' of 'test-scale' needs a number", Assert.Throws<AttackSpecException>(() => AttackRegistry.Create("test-scale(k=x)")).Problem);
    }

    private sealed class ScaleAttack(double k) : IAttack
    {
        public string Name => $"test-scale(k={k})";
        public bool NeedsHonestVectors => false;
        public void Craft(AttackContext context, Span<float> output)
        {
            var own = context.OwnUpdate.Span;
            for (var j = 0; j < output.Length; j++) output[j] = (float)(k * own[j]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1003)]
    public void The_attack_line_equals_the_scalar_expression_to_the_bit(int d)
    {
        var rng = new Random(d);
        var origin = Enumerable.Range(0, d).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var direction = Enumerable.Range(0, d).Select(_ => rng.NextDouble() * 1e-3).ToArray();
        var withOrigin = new float[d];
        var without = new float[d];
        OptimalFactorAttack.Line(origin, direction, 3.7, withOrigin);
        OptimalFactorAttack.Line(null, direction, -3.7, without);
        for (var j = 0; j < d; j++)
        {
            Assert.Equal((float)(origin[j] + 3.7 * direction[j]), withOrigin[j]);
            Assert.Equal((float)(-3.7 * direction[j]), without[j]);
        }
    }
}
