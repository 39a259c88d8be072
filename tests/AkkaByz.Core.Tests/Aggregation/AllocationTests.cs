using AkkaByz.Core.Aggregation;
using AkkaByz.Core.Aggregation.Meta;
using AkkaByz.Core.Aggregation.Rules;
using AkkaByz.Core.Numerics;

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
    [InlineData("nnm(geomed)")]
    [InlineData("nnm(krum)")]
    [InlineData("nnm(mda)")]
    [InlineData("bucketing(s=2,cwtm)")]
    [InlineData("bucketing(s=2,geomed)")]
    [InlineData("clip(c=1,geomed)")]
    [InlineData("arc(krum)")]
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

    [Theory]
    [InlineData("nnm(geomed)", 11)]
    [InlineData("nnm(krum)", 11)]
    [InlineData("bucketing(s=2,geomed)", 6)]
    [InlineData("clip(c=1,geomed)", 11)]
    public void Whole_vector_scratch_is_rented_per_call_and_shared_across_instances(string spec, int rows)
    {
        const int m = 11, f = 2, d = 300_007; // an odd d no other test uses, so only these calls touch its rows
        var x = TestData.Gaussian(new Random(2), m, d, mean: 5); // norms ≫ 1: clip(c=1) clips every input
        var y = new float[d];
        AggregationScratch.Release();
        var first = AggregatorSpec.Parse(spec).Build(m, f);
        first.Aggregate(x, y);
        // The call gave its rows back: the pool holds them, the instance holds none.
        Assert.Equal(4L * rows * d, AggregationScratch.RetainedBytes);
        // A second instance (another (m, f) of the same spec in a run whose worker count changes, or another spec)
        // reuses them instead of allocating its own (it allocates only its small per-chunk kernel buffers, independent of d).
        var second = AggregatorSpec.Parse(spec).Build(m, f);
        var y2 = new float[d];
        long before = GC.GetTotalAllocatedBytes(precise: true);
        second.Aggregate(x, y2);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 4L * d, $"{spec}: a new instance's first call allocated {allocated} bytes ({rows} rows of {4 * d} are pooled)");
        Assert.Equal(y, y2);
        AggregationScratch.Release();
        Assert.Equal(0, AggregationScratch.RetainedBytes);
    }

    [Fact]
    public void Blocked_bucketing_over_a_coordinate_wise_rule_equals_the_whole_vector_computation_bit_for_bit()
    {
        // m = 11, s = 2: k = 6 bucket means; the coordinate block for k = 6 is 699,008, so d spans five blocks and
        // ends in a tail that is not a multiple of the vector width; the k means whole would be 4× the block scratch.
        const int m = 11, f = 2, s = 2, k = 6, d = 4 * 699_008 + 100_013, seed = 7;
        Assert.Equal(699_008, AggregatorBase.CoordinateBlock(k));
        var x = TestData.Gaussian(new Random(3), m, d);
        var bucketing = new Bucketing(m, f, s, new CoordinateWiseTrimmedMean(k, f), seed);
        var y = new float[d];
        var before = GC.GetTotalAllocatedBytes(precise: true);
        bucketing.Aggregate(x, y);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        // The k means are never whole: k × block floats of scratch, not k·d.
        Assert.True(allocated < 4L * k * d / 2, $"{allocated} bytes allocated; the k means would be {4L * k * d}");

        // Reference: the k bucket means whole (one Combine pass over all d), then CWTM over them.
        var perm = new int[m];
        Bucketing.Permutation(seed, 0, perm);
        var w = new double[k * m];
        for (int b = 0; b < k; b++)
        {
            int lo = b * s, hi = Math.Min(m, lo + s);
            for (int j = lo; j < hi; j++) w[b * m + perm[j]] = 1.0 / (hi - lo);
        }
        var means = new float[k][];
        var addr = new nint[k];
        VectorPool.Rent(k, d, means, addr);
        try
        {
            Assert.True(LinearKernels.Combine(x, w, k, addr, d, new KernelScratch()));
            var expected = TestData.Run(new CoordinateWiseTrimmedMean(k, f), means);
            for (int c = 0; c < d; c++)
                if (BitConverter.SingleToInt32Bits(expected[c]) != BitConverter.SingleToInt32Bits(y[c]))
                    Assert.Fail($"coordinate {c}: blocked {y[c]:R}, whole {expected[c]:R}");
        }
        finally
        {
            VectorPool.Return(means, k);
            AggregationScratch.Release();
        }
    }
}
