using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;

namespace AkkaByz.Cli.Benchmarks;

/// <summary>
/// Measures this machine's memory-read bandwidth: a SIMD sum of a large float array on all cores (one contiguous
/// slice per core), the best of several runs (the STREAM convention: bandwidth is what the machine can do). An array
/// larger than the last-level cache measures main memory.
/// </summary>
public static class MemoryBandwidth
{
    /// <summary>Read bandwidth in bytes per second (best of <paramref name="runs"/>).</summary>
    public static double Measure(long bytes, int runs = 11)
    {
        int n = (int)Math.Min(int.MaxValue - 64, bytes / sizeof(float));
        var data = GC.AllocateUninitializedArray<float>(n);
        for (int i = 0; i < n; i += 1024) data[i] = 1f; // touch every page
        int cores = Environment.ProcessorCount;
        var times = new List<double>();
        float sink = 0;
        for (int r = 0; r < runs + 1; r++)
        {
            var partial = new float[cores];
            var sw = Stopwatch.StartNew();
            Parallel.For(0, cores, c =>
            {
                long lo = (long)n * c / cores, hi = (long)n * (c + 1) / cores;
                partial[c] = Sum(data.AsSpan((int)lo, (int)(hi - lo)));
            });
            sw.Stop();
            sink += partial.Sum();
            if (r > 0) times.Add(sw.Elapsed.TotalSeconds); // run 0 warms up the thread pool and JIT
        }
        GC.KeepAlive(sink);
        return (double)n * sizeof(float) / times.Min();
    }

    private static float Sum(ReadOnlySpan<float> x)
    {
        int w = Vector<float>.Count, j = 0;
        ref float r = ref MemoryMarshal.GetReference(x);
        Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (; j + 4 * w <= x.Length; j += 4 * w)
        {
            a0 += Vector.LoadUnsafe(ref r, (nuint)j);
            a1 += Vector.LoadUnsafe(ref r, (nuint)(j + w));
            a2 += Vector.LoadUnsafe(ref r, (nuint)(j + 2 * w));
            a3 += Vector.LoadUnsafe(ref r, (nuint)(j + 3 * w));
        }
        float s = Vector.Sum(a0 + a1 + a2 + a3);
        for (; j < x.Length; j++) s += x[j];
        return s;
    }
}
