using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Aggregation.Meta;
using AkkaByz.Core.Aggregation.Rules;

namespace AkkaByz.Core.Tests.Aggregation;

[Collection(RuleCatalogCollection.Name)]
public class SpecTests
{
    [Theory]
    [InlineData("mean", "mean")]
    [InlineData(" CWMed ", "cwmed")]
    [InlineData("geomed(iters=5, nu=0.01)", "geomed(iters=5,nu=0.01)")]
    [InlineData("geomed(nu=0.01,iters=5)", "geomed(iters=5,nu=0.01)")]
    [InlineData("multikrum(q=5)", "multikrum(q=5)")]
    [InlineData("ctma(nnm(geomed))", "ctma(nnm(geomed))")]
    [InlineData("bucketing(s=2, krum)", "bucketing(s=2,krum)")]
    [InlineData("bucketing(krum, s=2)", "bucketing(s=2,krum)")]
    [InlineData("nnm+ctma(cwtm)", "nnm+ctma(cwtm)")]
    [InlineData("cwtm()", "cwtm")]
    [InlineData("ctma(Bulyan)", "ctma(bulyan)")]
    [InlineData("clip(cwtm, c=5)", "clip(c=5,cwtm)")]
    [InlineData("arc(nnm(cwtm))", "arc(nnm(cwtm))")]
    [InlineData("monna(pivot=3)", "monna(pivot=3)")]
    public void Parses_to_the_canonical_text(string text, string canonical) =>
        Assert.Equal(canonical, AggregatorSpec.Parse(text).ToString());

    [Fact]
    public void Builds_the_right_tree_with_the_runs_f()
    {
        var a = AggregatorSpec.Parse("ctma(nnm(geomed(iters=5)))").Build(17, 8);
        var ctma = Assert.IsType<Ctma>(a);
        var nnm = Assert.IsType<NearestNeighbourMixing>(ctma.AnchorRule);
        var geo = Assert.IsType<GeometricMedian>(nnm.Inner);
        Assert.Equal((17, 8, 5, 0.1), (geo.M, geo.F, geo.Iterations, geo.Nu));
        Assert.Equal("ctma(nnm(geomed(iters=5,nu=0.1)))", a.Spec);

        var b = Assert.IsType<Bucketing>(AggregatorSpec.Parse("bucketing(s=3,cwtm)").Build(20, 3, seed: 9));
        Assert.Equal((3, 9, 7, 3), (b.S, b.Seed, b.Inner.M, b.Inner.F));
        Assert.Equal(1, Assert.IsType<Bucketing>(AggregatorSpec.Parse("bucketing(cwtm)").Build(17, 8)).S);
        Assert.Equal(2, Assert.IsType<Bucketing>(AggregatorSpec.Parse("bucketing(cwtm)").Build(17, 2)).S);
    }

    [Theory]
    [InlineData("medain", "unknown rule 'medain'")]
    [InlineData("", "empty")]
    [InlineData("ctma", "needs an inner rule")]
    [InlineData("ctma(cwtm, cwmed)", "exactly one inner rule")]
    [InlineData("cwtm(mean)", "takes no inner rule")]
    [InlineData("cwtm(f=3)", "takes no parameters")]
    [InlineData("geomed(iters=0)", "iters")]
    [InlineData("geomed(iters=2.5)", "integer")]
    [InlineData("geomed(nu=-1)", "nu")]
    [InlineData("geomed(nu=abc)", "needs a number")]
    [InlineData("geomed(tau=1)", "no parameter 'tau'")]
    [InlineData("geomed(iters=2,iters=3)", "twice")]
    [InlineData("ctma(cwtm", "missing ')'")]
    [InlineData("ctma(cwtm))", "unexpected ')'")]
    [InlineData("bucketing(s=0,cwtm)", "s")]
    [InlineData("clip(c=0,cwtm)", "parameter 'c' of 'clip' must be a number > 0")]
    [InlineData("clip(c=5)", "needs an inner rule")]
    [InlineData("arc", "needs an inner rule")]
    [InlineData("bulyan(cwtm)", "takes no inner rule")]
    [InlineData("meamed(f=2)", "takes no parameters")]
    public void Bad_specs_give_one_clear_error_listing_what_is_valid(string text, string problem)
    {
        var e = Assert.Throws<AggregatorSpecException>(() => AggregatorSpec.Parse(text));
        Assert.Contains(problem, e.Message);
        Assert.IsAssignableFrom<ArgumentException>(e);
        foreach (var name in AggregatorSpec.RuleNames) Assert.Contains(name, e.Message);
        Assert.Contains("Examples", e.Message);
    }

    [Theory]
    [InlineData("mean", 16, 8, "not below m/2")]
    [InlineData("cwtm", 4, 2, "not below m/2")]
    [InlineData("krum", 17, 8, "m > 2f + 2")]
    [InlineData("multikrum", 10, 4, "m > 2f + 2")]
    [InlineData("multikrum(q=11)", 17, 7, "q ≤ m − f")]
    [InlineData("bucketing(s=2,cwtm)", 17, 8, "more than 2f = 16 buckets")]
    [InlineData("ctma(krum)", 17, 8, "m > 2f + 2")]
    [InlineData("bulyan", 17, 4, "Bulyan needs m ≥ 4f + 3; got m = 17, f = 4 (so m must be at least 19, or f at most 3)")]
    [InlineData("ctma(bulyan)", 17, 8, "m ≥ 4f + 3")]
    [InlineData("arc(bulyan)", 10, 2, "so m must be at least 11, or f at most 1")]
    [InlineData("meamed", 8, 4, "not below m/2")]
    [InlineData("monna(pivot=9)", 9, 2, "pivot must be an input index in 0..8")]
    [InlineData("mda", 128, 63, "so f at most")]
    [InlineData("mean", 0, 0, "m (number of input vectors)")]
    [InlineData("mean", 5, -1, "f (number of Byzantine inputs)")]
    public void Build_validates_each_rules_bound(string spec, int m, int f, string problem)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => AggregatorSpec.Parse(spec).Build(m, f));
        Assert.Contains(problem, e.Message);
        Assert.Contains($"m = {m}", e.Message);
    }

    [Fact]
    public void The_rule_list_names_every_rule()
    {
        // The list is the catalog's (a new rule is listed by its catalog entry alone): the paper's rules first, baselines
        // before meta-rules, names unique, every name parses and has its usage line.
        var rules = RuleRegistry.Describe();
        Assert.Equal(rules.Select(r => r.Name), AggregatorSpec.RuleNames);
        Assert.Equal(["mean", "cwmed", "cwtm", "geomed", "krum", "multikrum"], AggregatorSpec.RuleNames.Take(6));
        Assert.Equal(AggregatorSpec.RuleNames.Count, AggregatorSpec.RuleNames.Distinct().Count());
        Assert.True(rules.SkipWhile(r => !r.IsMeta).All(r => r.IsMeta), "baselines come before meta-rules");
        Assert.All(rules, r => Assert.Equal(r.Name, AggregatorSpec.Parse(r.IsMeta ? $"{r.Name}(cwtm)" : r.Name).Name));
        Assert.Equal(AggregatorSpec.RuleNames.Count, AggregatorSpec.RuleUsages.Count);
    }

    [Fact]
    public void Bucketing_is_deterministic_per_seed_and_draws_a_new_permutation_each_call()
    {
        var x = TestData.Gaussian(new Random(1), 12, 5);
        float[] Run(IAggregator a) => TestData.Run(a, x);
        var a1 = AggregatorSpec.Parse("bucketing(s=2,cwmed)").Build(12, 2, seed: 5);
        var a2 = AggregatorSpec.Parse("bucketing(s=2,cwmed)").Build(12, 2, seed: 5);
        var first = Run(a1);
        Assert.Equal(first, Run(a2));
        var outputs = Enumerable.Range(0, 5).Select(_ => Run(a1)).ToList();
        Assert.Contains(outputs, o => !o.SequenceEqual(first));
    }
}
