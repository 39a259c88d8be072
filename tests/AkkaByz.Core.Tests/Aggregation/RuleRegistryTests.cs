using AkkaByz.Core.Aggregation;

namespace AkkaByz.Core.Tests.Aggregation;

/// <summary>A rule from outside Core: registered, then parsed, validated, wrapped by meta-rules and listed like a built-in one.
/// In the catalog's collection (not in parallel with the tests that list the built-in rules); unregistered after each test.</summary>
[Collection(RuleCatalogCollection.Name)]
public sealed class RuleRegistryTests : IDisposable
{
    public RuleRegistryTests() => Register();

    public void Dispose() => RuleRegistry.Unregister("test-firstmin");

    /// <summary>Coordinate-wise minimum of the first k inputs (a toy, not robust): easy to check by hand.</summary>
    private sealed class FirstMin(int m, int f, int k) : IAggregator
    {
        public string Spec => $"test-firstmin(k={k})";
        public int M => m;
        public int F => f;
        public AggregationReport Aggregate(IReadOnlyList<float[]> inputs, Span<float> output)
        {
            for (var j = 0; j < output.Length; j++)
            {
                var v = float.PositiveInfinity;
                for (var i = 0; i < k; i++) v = Math.Min(v, inputs[i][j]);
                output[j] = v;
            }
            return AggregationReport.None;
        }
    }

    private static void Register() =>
        RuleRegistry.Register("test-firstmin", "test-firstmin(k=2)", "coordinate-wise minimum of the first k inputs (test)",
            [new RuleParameter("k", true, v => v >= 1, "an integer ≥ 1 (and ≤ m)")],
            (spec, m, f, _) =>
            {
                var k = (int)spec.Parameter("k", 2);
                if (k > m) throw new ArgumentException($"k = {k} exceeds m = {m}.");
                return new FirstMin(m, f, k);
            });

    [Fact]
    public void A_registered_rule_parses_builds_and_runs_inside_meta_rules()
    {
        float[][] x = [[3f, 1f], [2f, 5f], [9f, 9f]];
        var output = new float[2];
        AggregatorSpec.Parse("test-firstmin(k=2)").Build(3, 1).Aggregate(x, output);
        Assert.Equal([2f, 1f], output);
        Assert.Equal("ctma(test-firstmin(k=2))", AggregatorSpec.Parse("CTMA(test-firstmin(k=2))").ToString());
        var ctma = AggregatorSpec.Parse("ctma(test-firstmin)").Build(3, 1);
        var report = ctma.Aggregate(x, output);
        Assert.Equal([2], report.Suspects); // (9, 9) is farthest from the anchor (2, 1)
        Assert.Contains("test-firstmin", RuleRegistry.Names);
        Assert.Contains("test-firstmin(k=2)", AggregatorSpec.SyntaxHelp);
    }

    [Fact]
    public void Its_parameters_and_bounds_are_checked_like_a_built_in_rules()
    {
        Assert.Contains("parameter 'k' of 'test-firstmin' must be an integer ≥ 1", Assert.Throws<AggregatorSpecException>(() => AggregatorSpec.Parse("test-firstmin(k=0)")).Problem);
        Assert.Contains("'test-firstmin' has no parameter 'q'", Assert.Throws<AggregatorSpecException>(() => AggregatorSpec.Parse("test-firstmin(q=1)")).Problem);
        var e = Assert.Throws<ArgumentException>(() => AggregatorSpec.Parse("test-firstmin(k=5)").Build(3, 1));
        Assert.Contains("Cannot build aggregator 'test-firstmin(k=5)' for m = 3, f = 1: k = 5 exceeds m = 3.", e.Message);
        Assert.Contains("non-finite", Assert.ThrowsAny<ArgumentException>(() =>
            AggregatorSpec.Parse("test-firstmin").Build(3, 1).Aggregate([[float.NaN], [1f], [2f]], new float[1])).Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("cwtm")]
    [InlineData("bad name")]
    [InlineData("9lives")]
    public void Taken_or_malformed_names_are_refused(string name) =>
        Assert.Throws<ArgumentException>(() => RuleRegistry.Register(name, name, "x", [], (_, m, f, _) => new FirstMin(m, f, 1)));
}

/// <summary>Tests that read or change the rule catalog's registered rules run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class RuleCatalogCollection
{
    public const string Name = "rule catalog";
}
