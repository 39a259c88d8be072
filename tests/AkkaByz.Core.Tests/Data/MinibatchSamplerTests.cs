using AkkaByz.Core.Data;

namespace AkkaByz.Core.Tests.Data;

public class MinibatchSamplerTests
{
    private static readonly int[] Shard = Enumerable.Range(100, 50).ToArray();

    [Theory]
    [InlineData(SamplingMode.WithReplacement)]
    [InlineData(SamplingMode.EpochShuffle)]
    public void Batches_depend_only_on_seed_worker_and_round(SamplingMode mode)
    {
        var a = new MinibatchSampler(Shard, 7, 3, mode);
        var b = new MinibatchSampler(Shard, 7, 3, mode);
        var other = new MinibatchSampler(Shard, 7, 4, mode);
        Span<int> x = stackalloc int[8], y = stackalloc int[8], z = stackalloc int[8];
        // Out of order and repeated calls give the same batches.
        b.Batch(40, y);
        for (var round = 1; round <= 30; round++)
        {
            a.Batch(round, x);
            b.Batch(round, y);
            Assert.True(x.SequenceEqual(y));
            foreach (var i in x) Assert.Contains(i, Shard);
        }
        a.Batch(5, x);
        other.Batch(5, z);
        Assert.False(x.SequenceEqual(z));
    }

    [Fact]
    public void Epoch_shuffle_visits_each_sample_once_per_epoch()
    {
        var sampler = new MinibatchSampler(Shard, 1, 0, SamplingMode.EpochShuffle);
        var seen = new List<int>();
        var batch = new int[10];
        for (var round = 1; round <= 5; round++) { sampler.Batch(round, batch); seen.AddRange(batch); }
        Assert.Equal(Shard, seen.Order());
    }

    [Fact]
    public void With_replacement_is_roughly_uniform()
    {
        var sampler = new MinibatchSampler(Shard, 2, 0);
        var counts = new int[Shard.Length];
        var batch = new int[100];
        for (var round = 1; round <= 200; round++) { sampler.Batch(round, batch); foreach (var i in batch) counts[i - 100]++; }
        Assert.All(counts, c => Assert.InRange(c, 300, 500)); // expected 400 each
    }
}
