using AkkaByz.Core.Aggregation;

namespace AkkaByz.Core.Tests.Aggregation;

/// <summary>Bad inputs throw an ArgumentException naming the problem: never a silent NaN.</summary>
public class ValidationTests
{
    public static IEnumerable<object[]> Specs() => TestData.AllSpecs.Select(s => new object[] { s });

    private static IAggregator Build(string spec) => AggregatorSpec.Parse(spec).Build(8, 1, 3);

    [Theory]
    [MemberData(nameof(Specs))]
    public void Wrong_count_is_rejected(string spec)
    {
        var e = Assert.Throws<ArgumentException>(() => Build(spec).Aggregate(TestData.Gaussian(new Random(1), 7, 4), new float[4]));
        Assert.Contains("Expected 8 input vectors", e.Message);
        Assert.Contains("got 7", e.Message);
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void Mismatched_lengths_name_the_vector_and_both_sizes(string spec)
    {
        var x = TestData.Gaussian(new Random(1), 8, 4);
        x[5] = new float[3];
        var e = Assert.Throws<ArgumentException>(() => Build(spec).Aggregate(x, new float[4]));
        Assert.Contains("Input vector 5 has length 3", e.Message);
        Assert.Contains("length 4", e.Message);
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void Empty_and_null_inputs_are_rejected(string spec)
    {
        var empty = Enumerable.Range(0, 8).Select(_ => Array.Empty<float>()).ToArray();
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => Build(spec).Aggregate(empty, Span<float>.Empty)).Message);
        var x = TestData.Gaussian(new Random(1), 8, 4);
        x[2] = null!;
        Assert.Contains("Input vector 2 is null", Assert.Throws<ArgumentException>(() => Build(spec).Aggregate(x, new float[4])).Message);
    }

    public static IEnumerable<object[]> NonFiniteCases()
    {
        foreach (var s in TestData.AllSpecs)
            foreach (var v in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
                foreach (int d in new[] { 5, 70_001 })
                    yield return [s, v, d];
    }

    [Theory]
    [MemberData(nameof(NonFiniteCases))]
    public void Non_finite_values_are_rejected_naming_vector_and_coordinate(string spec, float bad, int d)
    {
        var x = TestData.Gaussian(new Random(1), 8, d);
        int coord = d - 2;
        x[6][coord] = bad;
        var y = new float[d];
        var e = Assert.Throws<ArgumentException>(() => Build(spec).Aggregate(x, y));
        Assert.Contains($"Input vector 6 holds a non-finite value", e.Message);
        Assert.Contains($"coordinate {coord}", e.Message);
    }

    [Fact]
    public void Huge_but_finite_values_are_aggregated_not_rejected()
    {
        var x = TestData.Gaussian(new Random(2), 9, 10);
        x[0] = Enumerable.Repeat(float.MaxValue, 10).ToArray();
        x[1] = Enumerable.Repeat(-float.MaxValue, 10).ToArray();
        foreach (var spec in TestData.AllSpecs.Where(s => !s.StartsWith("mean", StringComparison.Ordinal)))
        {
            var y = TestData.Run(AggregatorSpec.Parse(spec).Build(9, spec.Contains("bulyan") ? 1 : 2, 1), x);
            Assert.All(y, v => Assert.True(float.IsFinite(v), spec));
        }
    }
}

public class WeightedCtmaValidationTests
{
    private static readonly float[][] X = TestData.Gaussian(new Random(4), 5, 3);

    [Theory]
    [InlineData(new double[] { 1, 1, 1, 1 }, "Expected 5 weights")]
    [InlineData(new double[] { 1, 1, -1, 1, 1 }, "Weight 2 is -1")]
    [InlineData(new double[] { 1, 1, double.NaN, 1, 1 }, "Weight 2 is NaN")]
    [InlineData(new double[] { 0, 0, 0, 0, 0 }, "sum to 0")]
    public void Bad_weights_are_rejected(double[] weights, string problem)
    {
        var ctma = (AkkaByz.Core.Aggregation.Meta.Ctma)AggregatorSpec.Parse("ctma(cwtm)").Build(5, 1);
        var e = Assert.Throws<ArgumentException>(() => ctma.AggregateWeighted(X, weights, new float[3]));
        Assert.Contains(problem, e.Message);
    }
}
