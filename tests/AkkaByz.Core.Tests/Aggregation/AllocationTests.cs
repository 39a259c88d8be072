using AkkaByz.Core.Aggregation;

namespace AkkaByz.Core.Tests.Aggregation;

/// <summary>Runs alone: the allocation counter is process-wide.</summary>
[CollectionDefinition(nameof(AllocationCollection), DisableParallelization = true)]
public sealed class AllocationCollection;

/// <summary>Steady-state calls reuse the instance's scratch: nothing proportional to d is allocated per call.</summary>
[Collection(nameof(AllocationCollection))]
public class AllocationTests
{
    [Theory]
    [InlineData("mean")]
    [InlineData("cwtm")]
    [InlineData("geomed")]
    [InlineData("krum")]
    [InlineData("ctma(nnm(cwtm))")]
    [InlineData("nnm(cwtm)")]
    [InlineData("ctma(cwtm)")]
    [InlineData("nnm(mean)")]
    [InlineData("bucketing(s=2,ctma(cwmed))")]
    [InlineData("meamed")]
    [InlineData("bulyan")]
    [InlineData("arc(cwtm)")]
    [InlineData("clip(c=1,cwtm)")]
    [InlineData("mda")]
    [InlineData("monna")]
    public void Steady_state_calls_allocate_far_less_than_the_input(string spec)
    {
        const int m = 11, f = 2, d = 200_000; // 8.8 MB of input, 800 KB per vector
        var x = TestData.Gaussian(new Random(1), m, d);
        var agg = AggregatorSpec.Parse(spec).Build(m, f);
        var y = new float[d];
        agg.Aggregate(x, y);
        agg.Aggregate(x, y);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < 3; i++) agg.Aggregate(x, y);
        long perCall = (GC.GetTotalAllocatedBytes(precise: true) - before) / 3;
        Assert.True(perCall < 100_000, $"{spec}: {perCall} bytes allocated per call (one vector is {4 * d})");
    }
}
