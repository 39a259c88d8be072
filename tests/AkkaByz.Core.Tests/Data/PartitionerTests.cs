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

public class GammaPartitionTests
{
    private static int[] SortedBlocks(int perClass, int classes) =>
        Enumerable.Range(0, perClass * classes).Select(i => i % classes).ToArray();

    [Fact]
    public void Extreme_gives_each_shard_one_class_when_classes_equal_shards()
    {
        var labels = SortedBlocks(10, 4); // 40 samples, 10 per class
        var parts = Partitioner.Gamma(labels, 4, 0, seed: 3);
        var counts = Partitioner.LabelCounts(parts, labels, 4);
        for (var s = 0; s < 4; s++)
            Assert.Equal(Enumerable.Range(0, 4).Select(c => c == s ? 10 : 0), counts[s]); // shard s holds class s only
        var data = new DataSet("d", new float[40], labels, SampleShape.Flat(1), 4);
        Assert.Equal(parts, Partitioner.Create("extreme", data, 4, 3));
        Assert.Equal(parts, Partitioner.Create("gamma(g=0)", data, 4, 3));
    }

    [Fact]
    public void Gamma_half_mixes_an_iid_half_with_one_sorted_class_per_shard()
    {
        var labels = SortedBlocks(100, 4); // 400 samples
        var parts = Partitioner.Gamma(labels, 4, 0.5, seed: 5);
        Assert.Equal(Enumerable.Range(0, 400), parts.SelectMany(p => p).Order());
        Assert.All(parts, p => Assert.Equal(100, p.Length));
        var counts = Partitioner.LabelCounts(parts, labels, 4);
        // The sorted half (200 samples: 50 per class, 50 per shard) gives shard s 50 samples of class s; the IID half adds ~12.5 of each.
        for (var s = 0; s < 4; s++)
        {
            Assert.True(counts[s][s] >= 50, $"shard {s}: {counts[s][s]} of its own class");
            Assert.True(counts[s].Max() == counts[s][s]);
            Assert.All(Enumerable.Range(0, 4).Where(c => c != s), c => Assert.InRange(counts[s][c], 1, 30)); // some of every class from the IID half
        }
    }

    [Fact]
    public void Gamma_one_is_label_balanced_like_iid()
    {
        var labels = SortedBlocks(250, 4);
        var counts = Partitioner.LabelCounts(Partitioner.Gamma(labels, 5, 1, seed: 9), labels, 4);
        Assert.All(counts, shard => Assert.All(shard, c => Assert.InRange(c, 30, 70))); // 200 per shard, 50 per class expected
    }

    [Theory]
    [InlineData("dirichlet(0.3)", "dirichlet(alpha=0.3)")]
    [InlineData("Dirichlet(alpha = 0.3)", "dirichlet(alpha=0.3)")]
    [InlineData("gamma(0.25)", "gamma(g=0.25)")]
    [InlineData("gamma", "gamma")]
    [InlineData("EXTREME", "extreme")]
    [InlineData("iid", "iid")]
    public void Partition_specs_use_the_shared_grammar(string text, string canonical) => Assert.Equal(canonical, Partitioner.Canonical(text));

    [Theory]
    [InlineData("gamma(g=2)", "parameter 'g' of 'gamma' must be a number in [0, 1], got 2")]
    [InlineData("dirichlet(x)", "parameter 'alpha' of 'dirichlet' needs a number, got 'x'")]
    [InlineData("dirichlet", "dirichlet needs α")]
    [InlineData("shards", "unknown partition 'shards' (valid: iid, dirichlet, gamma, extreme)")]
    public void Bad_partition_specs_name_the_problem(string text, string problem) =>
        Assert.Contains(problem, Assert.Throws<ArgumentException>(() => Partitioner.Canonical(text)).Message);
}
