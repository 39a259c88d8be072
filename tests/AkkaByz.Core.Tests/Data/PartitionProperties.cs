using AkkaByz.Core.Data;
using FsCheck.Xunit;

namespace AkkaByz.Core.Tests.Data;

public class PartitionProperties
{
    [Property(MaxTest = 200)]
    public bool Iid_is_a_partition_into_near_equal_shards(int a, int b, int seed)
    {
        var count = 1 + (int)((uint)a % 500);
        var shards = 1 + (int)((uint)b % (uint)count);
        var parts = Partitioner.Iid(count, shards, seed);
        return parts.Length == shards
            && parts.SelectMany(p => p).Order().SequenceEqual(Enumerable.Range(0, count))
            && parts.Max(p => p.Length) - parts.Min(p => p.Length) <= 1;
    }

    [Property(MaxTest = 200)]
    public bool Dirichlet_is_a_partition_with_no_empty_shard(int a, int b, int seed, bool tinyAlpha)
    {
        var count = 1 + (int)((uint)a % 400);
        var shards = 1 + (int)((uint)b % (uint)Math.Min(count, 20));
        var labels = Enumerable.Range(0, count).Select(i => (int)((uint)(i * 7 + seed) % 5)).ToArray();
        var parts = Partitioner.Dirichlet(labels, 5, shards, tinyAlpha ? 0.01 : 1.0, seed);
        return parts.Length == shards
            && parts.All(p => p.Length > 0)
            && parts.SelectMany(p => p).Order().SequenceEqual(Enumerable.Range(0, count));
    }
}
