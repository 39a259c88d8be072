using System.Numerics;
using System.Runtime.CompilerServices;

namespace AkkaByz.Core.Numerics;

/// <summary>
/// Linear combinations of rows, y_k = Σ_i W[k, i] · x_i, blocked over coordinates (one read of the inputs for all
/// k outputs), accumulated in double, parallel over coordinate chunks. Used for Mean, weighted means (GeoMed's
/// Weiszfeld step, CTMA, MultiKrum), NNM's mixing and Bucketing's bucket means.
/// </summary>
public static unsafe class LinearKernels
{
    /// <summary>Coordinates per block: the double accumulator (4 KiB) and the rows' block stay in L1/L2.</summary>
    internal const int Block = 512;

    /// <summary>
    /// output = Σ_i weights[i] · rows[i] over the first output.Length coordinates (double accumulation).
    /// Rows with weight 0 are not read. Returns false when some output value is non-finite (which, for weights
    /// summing to 1 and all ≥ 0, happens only when a read input is non-finite).
    /// </summary>
    public static bool WeightedSum(IReadOnlyList<float[]> rows, ReadOnlySpan<double> weights, Span<float> output,
        KernelScratch scratch)
    {
        if (weights.Length != rows.Count)
            throw new ArgumentException($"weights has {weights.Length} entries but there are {rows.Count} rows.", nameof(weights));
        var w = weights.ToArray();
        fixed (float* p = output)
        {
            var outs = new[] { (nint)p };
            return Combine(rows, w, 1, outs, output.Length, scratch);
        }
    }

    /// <summary>Mean of the rows (double accumulation). Returns false when some output value is non-finite.</summary>
    public static bool Mean(IReadOnlyList<float[]> rows, Span<float> output, KernelScratch scratch)
    {
        int m = rows.Count;
        Span<double> w = m <= 256 ? stackalloc double[m] : new double[m];
        w.Fill(1.0 / m);
        return WeightedSum(rows, w, output, scratch);
    }

    /// <summary>
    /// outputs[k] = Σ_i weights[k·m + i] · rows[i] for k &lt; <paramref name="k"/>, each of length d. The output
    /// arrays must be pinned (allocated with <c>GC.AllocateArray(pinned: true)</c>) or otherwise fixed by the caller;
    /// they are passed as addresses. Returns false when some output value is non-finite.
    /// </summary>
    internal static bool Combine(IReadOnlyList<float[]> rows, double[] weights, int k, nint[] outputs, int d,
        KernelScratch scratch)
    {
        int m = rows.Count;
        long touched = 0;
        for (int i = 0; i < weights.Length; i++) if (weights[i] != 0) touched++;
        int chunks = ParallelChunks.Count(d, touched * d, Block);
        int bad = 0;
        ParallelChunks.Run(chunks, chunk =>
        {
            var (start, len) = ParallelChunks.Range(d, chunks, chunk, Block);
            var acc = scratch.Doubles(chunk, Block);
            bool ok = true;
            int end = start + len;
            for (int b = start; b < end; b += Block)
            {
                int n = Math.Min(Block, end - b);
                for (int o = 0; o < k; o++)
                {
                    var a = acc.AsSpan(0, n);
                    a.Clear();
                    for (int i = 0; i < m; i++)
                    {
                        double wi = weights[o * m + i];
                        if (wi == 0) continue;
                        Axpy(a, wi, rows[i].AsSpan(b, n));
                    }
                    ok &= NarrowStore(a, new Span<float>((float*)outputs[o] + b, n));
                }
            }
            if (!ok) Volatile.Write(ref bad, 1);
        });
        return bad == 0;
    }

    /// <summary>acc += w · widen(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Axpy(Span<double> acc, double w, ReadOnlySpan<float> x)
    {
        int n = x.Length, j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int wf = Vector<float>.Count, wd = Vector<double>.Count;
            var wv = new Vector<double>(w);
            ref float xr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            ref double ar = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(acc);
            for (; j + wf <= n; j += wf)
            {
                var v = Vector.LoadUnsafe(ref xr, (nuint)j);
                Vector.Widen(v, out Vector<double> lo, out Vector<double> hi);
                var a0 = Vector.LoadUnsafe(ref ar, (nuint)j);
                var a1 = Vector.LoadUnsafe(ref ar, (nuint)(j + wd));
                Vector.StoreUnsafe(Vector.FusedMultiplyAdd(lo, wv, a0), ref ar, (nuint)j);
                Vector.StoreUnsafe(Vector.FusedMultiplyAdd(hi, wv, a1), ref ar, (nuint)(j + wd));
            }
        }
        for (; j < n; j++) acc[j] += w * x[j];
    }

    /// <summary>dst = (float)src; returns whether every stored value is finite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool NarrowStore(ReadOnlySpan<double> src, Span<float> dst)
    {
        int n = dst.Length, j = 0;
        bool ok = true;
        if (Vector.IsHardwareAccelerated)
        {
            int wf = Vector<float>.Count, wd = Vector<double>.Count;
            ref double sr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(src);
            ref float dr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dst);
            var okv = Vector<int>.AllBitsSet;
            for (; j + wf <= n; j += wf)
            {
                var f = Vector.Narrow(Vector.LoadUnsafe(ref sr, (nuint)j), Vector.LoadUnsafe(ref sr, (nuint)(j + wd)));
                okv &= Vector.Equals(f - f, Vector<float>.Zero);
                Vector.StoreUnsafe(f, ref dr, (nuint)j);
            }
            ok = Vector.EqualsAll(okv, Vector<int>.AllBitsSet);
        }
        for (; j < n; j++)
        {
            float f = (float)src[j];
            ok &= float.IsFinite(f);
            dst[j] = f;
        }
        return ok;
    }
}
