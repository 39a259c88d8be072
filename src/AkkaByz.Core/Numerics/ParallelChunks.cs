namespace AkkaByz.Core.Numerics;

/// <summary>
/// Splits the coordinate range [0, d) into contiguous chunks for <see cref="Parallel.For(int, int, Action{int})"/>.
/// Chunk boundaries are multiples of an alignment (the kernel's block size) so blocks never straddle chunks, and the
/// split depends only on (d, element count, processor count), so reductions over chunks are deterministic.
/// </summary>
internal static class ParallelChunks
{
    /// <summary>Upper bound on the number of chunks (4 per core: enough slack for load balance on a shared box).</summary>
    public static readonly int MaxChunks = Math.Max(1, Environment.ProcessorCount) * 4;

    /// <summary>Below this many touched elements the kernels stay on the calling thread.</summary>
    public const long SerialThreshold = 1 << 16;

    /// <summary>How many chunks to use for a kernel touching <paramref name="elements"/> floats over d coordinates.</summary>
    public static int Count(int d, long elements, int align)
    {
        if (elements < SerialThreshold || Environment.ProcessorCount == 1) return 1;
        int units = (d + align - 1) / align;
        return Math.Max(1, Math.Min(MaxChunks, units));
    }

    /// <summary>The coordinate range of chunk <paramref name="index"/> of <paramref name="count"/>.</summary>
    public static (int Start, int Length) Range(int d, int count, int index, int align)
    {
        int units = (d + align - 1) / align;
        int per = units / count, rem = units % count;
        long startUnit = (long)index * per + Math.Min(index, rem);
        long lenUnits = per + (index < rem ? 1 : 0);
        long start = Math.Min(d, startUnit * align);
        long end = Math.Min(d, (startUnit + lenUnits) * align);
        return ((int)start, (int)Math.Max(0, end - start));
    }

    /// <summary>Runs <paramref name="body"/> for every chunk index, in parallel when there is more than one.</summary>
    public static void Run(int count, Action<int> body)
    {
        if (count == 1) body(0);
        else Parallel.For(0, count, body);
    }
}
