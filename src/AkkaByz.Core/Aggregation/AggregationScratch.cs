using AkkaByz.Core.Numerics;

namespace AkkaByz.Core.Aggregation;

/// <summary>
/// The shared pool of whole-vector scratch rows that meta-rules rent for the length of one call when their inner rule
/// needs m transformed vectors at once (nnm, bucketing with s ≥ 2, clip and arc over a rule that is not
/// coordinate-wise). Between calls the rows stay in the pool for the next call of any instance; <see cref="Release"/>
/// gives them back to the garbage collector.
/// </summary>
public static class AggregationScratch
{
    /// <summary>Bytes held by the pool's free rows (not counting rows rented by a running call).</summary>
    public static long RetainedBytes => VectorPool.RetainedBytes;

    /// <summary>Drops the pool's free rows (the next call that needs rows allocates them again).</summary>
    public static void Release() => VectorPool.Trim();
}
