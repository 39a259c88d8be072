using AkkaByz.Core.Data;

namespace AkkaByz.Core.Tests.Data;

public class PartitionerTests
{
    private static int[] BalancedLabels(int perClass, int classes) =>
        Enumerable.Range(0, perClass * classes).Select(i => i % classes).ToArray();

    [Theory]
    [InlineData(100, 17)]
    [InlineData(17, 17)]
    [InlineData(20_000, 17)]
    public void Iid_covers_every_sample_exactly_once_in_near_equal_shards(int count, int shards)
    {
        var parts = Partitioner.Iid(count, shards, seed: 3);
        Assert.Equal(shards, parts.Length);
        Assert.Equal(Enumerable.Range(0, count), parts.SelectMany(p => p).Order());
        Assert.True(parts.Max(p => p.Length) - parts.Min(p => p.Length) <= 1);
        Assert.Equal(parts, Partitioner.Iid(count, shards, seed: 3));
        Assert.NotEqual(parts, Partitioner.Iid(count, shards, seed: 4));
    }

    /// <summary>Mean over shards of the largest class fraction in the shard: 1/C for uniform, 1 for one class per shard.</summary>
    private static double MeanDominance(int[][] parts, int[] labels, int classes) =>
        Partitioner.LabelCounts(parts, labels, classes).Average(c => (double)c.Max() / c.Sum());

    [Fact]
    public void Dirichlet_small_alpha_skews_and_large_alpha_is_near_uniform()
    {
        const int classes = 10, shards = 10;
        var labels = BalancedLabels(1000, classes);
        foreach (var alpha in new[] { 0.1, 1000.0 })
        {
            var parts = Partitioner.Dirichlet(labels, classes, shards, alpha, seed: 11);
            Assert.Equal(Enumerable.Range(0, labels.Length), parts.SelectMany(p => p).Order());
            Assert.All(parts, p => Assert.NotEmpty(p));
        }
        var skewed = MeanDominance(Partitioner.Dirichlet(labels, classes, shards, 0.1, 11), labels, classes);
        var uniform = MeanDominance(Partitioner.Dirichlet(labels, classes, shards, 1000, 11), labels, classes);
        Assert.True(skewed > 0.5, $"α = 0.1: mean dominant-class fraction {skewed:F3}, expected > 0.5");
        Assert.InRange(uniform, 0.1, 0.13); // 1/C = 0.1 plus sampling noise

        // Every shard's class proportions near 1/C for large α.
        foreach (var counts in Partitioner.LabelCounts(Partitioner.Dirichlet(labels, classes, shards, 1000, 11), labels, classes))
            Assert.All(counts, c => Assert.InRange((double)c / counts.Sum(), 0.06, 0.14));
    }

    [Fact]
    public void Dirichlet_never_leaves_a_worker_without_data()
    {
        var labels = BalancedLabels(5, 2);
        var parts = Partitioner.Dirichlet(labels, 2, 8, 0.01, seed: 1);
        Assert.All(parts, p => Assert.NotEmpty(p));
        Assert.Equal(Enumerable.Range(0, labels.Length), parts.SelectMany(p => p).Order());
    }

    [Fact]
    public void Specs_parse_and_bad_ones_are_rejected()
    {
        var data = new DataSet("d", new float[40], BalancedLabels(10, 4), SampleShape.Flat(1), 4);
        Assert.Equal(Partitioner.Iid(40, 4, 2), Partitioner.Create("iid", data, 4, 2));
        Assert.Equal(Partitioner.Dirichlet(data.Labels, 4, 4, 0.5, 2), Partitioner.Create("dirichlet(alpha=0.5)", data, 4, 2));
        Assert.Equal(Partitioner.Dirichlet(data.Labels, 4, 4, 0.5, 2), Partitioner.Create("Dirichlet(0.5)", data, 4, 2));
        Assert.Throws<ArgumentException>(() => Partitioner.Create("shards", data, 4, 2));
        Assert.Throws<ArgumentException>(() => Partitioner.Create("dirichlet(0)", data, 4, 2));
        Assert.Throws<ArgumentException>(() => Partitioner.Iid(3, 4, 0));
    }
}
