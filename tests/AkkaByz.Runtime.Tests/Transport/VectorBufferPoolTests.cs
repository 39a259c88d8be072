using AkkaByz.Runtime.Transport;

namespace AkkaByz.Runtime.Tests.Transport;

/// <summary>The receive-buffer pool reuses only what it lent, once, within its byte cap.</summary>
public sealed class VectorBufferPoolTests
{
    private const int N = VectorBufferPool.MinimumPooledLength;

    [Fact]
    public void A_returned_array_is_lent_again_and_foreign_or_twice_returned_arrays_are_ignored()
    {
        var pool = new VectorBufferPool(1L << 30);
        var a = pool.Rent(N);
        pool.Return(a);
        Assert.Equal(4L * N, pool.PooledBytes);
        pool.Return(a); // a second return of the same array must not pool it twice
        Assert.Equal(4L * N, pool.PooledBytes);
        Assert.Same(a, pool.Rent(N));
        Assert.Equal(0, pool.PooledBytes);

        var foreign = new float[N]; // e.g. a local worker's vector, still cached by its fault plan for re-sending
        pool.Return(foreign);
        Assert.Equal(0, pool.PooledBytes);
        Assert.NotSame(foreign, pool.Rent(N));
    }

    [Fact]
    public void Pooled_bytes_never_exceed_the_cap_and_small_vectors_are_not_pooled()
    {
        var pool = new VectorBufferPool(4L * N * 2);
        var lent = Enumerable.Range(0, 5).Select(_ => pool.Rent(N)).ToArray();
        foreach (var v in lent) pool.Return(v);
        Assert.Equal(4L * N * 2, pool.PooledBytes);

        var small = pool.Rent(N - 1);
        pool.Return(small);
        Assert.Equal(4L * N * 2, pool.PooledBytes);
        Assert.Equal(N - 1, small.Length);

        var off = new VectorBufferPool(0);
        var x = off.Rent(N);
        off.Return(x);
        Assert.Equal(0, off.PooledBytes);
    }
}
