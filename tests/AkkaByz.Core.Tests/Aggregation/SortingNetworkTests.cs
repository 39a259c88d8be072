using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Tests.Aggregation;

public class SortingNetworkTests
{
    private static float[] Apply((int Lo, int Hi)[] net, float[] x)
    {
        var y = x.ToArray();
        foreach (var (a, b) in net)
            if (y[a] > y[b]) (y[a], y[b]) = (y[b], y[a]);
        return y;
    }

    [Fact]
    public void Networks_sort_every_size_up_to_65_including_ties()
    {
        var rng = new Random(1);
        for (int n = 0; n <= 65; n++)
            for (int t = 0; t < 40; t++)
            {
                var x = Enumerable.Range(0, n).Select(_ => (float)rng.Next(t % 2 == 0 ? 4 : 1000)).ToArray();
                Assert.Equal(x.Order(), Apply(SortingNetwork.For(n), x));
            }
    }

    [Fact]
    public void Rank_pruned_networks_place_the_requested_ranks_and_are_smaller()
    {
        var rng = new Random(2);
        for (int n = 1; n <= 65; n++)
        {
            int lo = (n - 1) / 2, hi = n / 2;
            foreach (var (a, b) in new[] { (lo, hi), (n / 4, n - 1 - n / 4), (0, 0), (n - 1, n - 1) })
            {
                var net = SortingNetwork.ForRanks(n, a, b);
                Assert.True(net.Length <= SortingNetwork.For(n).Length);
                for (int t = 0; t < 30; t++)
                {
                    var x = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
                    var sorted = x.Order().ToArray();
                    var y = Apply(net, x);
                    for (int r = a; r <= b; r++) Assert.Equal(sorted[r], y[r]);
                }
            }
        }
        Assert.Equal(70, SortingNetwork.ForRanks(17, 8, 8).Length);
    }
}

public class UnrolledNetworkTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    public void Unrolled_and_table_driven_networks_agree(int m)
    {
        var x = TestData.Gaussian(new Random(m), m, 5003);
        var scratch = new KernelScratch();
        var a = new float[5003];
        var b = new float[5003];
        OrderStatisticKernels.RankMean(x, (m - 1) / 2, m / 2, a, scratch);
        OrderStatisticKernels.ForceGenericNetwork = true;
        try { OrderStatisticKernels.RankMean(x, (m - 1) / 2, m / 2, b, scratch); }
        finally { OrderStatisticKernels.ForceGenericNetwork = false; }
        Assert.Equal(a, b);
        var expected = ScalarReference.RankMean(x.Select(v => v.Select(c => (double)c).ToArray()).ToArray(), (m - 1) / 2, m / 2);
        Assert.True(TestData.MaxAbsDiff(a, expected) <= 1e-6);
    }
}
