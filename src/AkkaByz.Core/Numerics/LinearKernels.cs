using System.Numerics;
using System.Runtime.Intrinsics;
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
    /// they are passed as addresses. The rows are read from coordinate <paramref name="start"/> on (outputs[k][c] uses
    /// rows[i][start + c]), so a caller can combine one block of coordinates at a time. Returns false when some output
    /// value is non-finite.
    /// </summary>
    internal static bool Combine(IReadOnlyList<float[]> rows, double[] weights, int k, nint[] outputs, int d,
        KernelScratch scratch, int start = 0)
    {
        int rowStart = start;
        int m = rows.Count;
        var arr = rows as float[][] ?? rows.ToArray();
        // Per output, the rows with a non-zero weight (O(k·m) small arrays per call; rows with weight 0 are not read).
        var idx = new int[k][];
        var wts = new double[k][];
        long touched = 0;
        for (int o = 0; o < k; o++)
        {
            int c = 0;
            for (int i = 0; i < m; i++) if (weights[o * m + i] != 0) c++;
            idx[o] = new int[c];
            wts[o] = new double[c];
            c = 0;
            for (int i = 0; i < m; i++)
            {
                double w = weights[o * m + i];
                if (w == 0) continue;
                idx[o][c] = i;
                wts[o][c++] = w;
            }
            touched += c;
        }
        int chunks = ParallelChunks.Count(d, touched * d, Block);
        int bad = 0;
        ParallelChunks.Run(chunks, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (chunk) =>
        {
            var (start, len) = ParallelChunks.Range(d, chunks, chunk, Block);
            bool ok = true;
            int end = start + len;
            for (int b = start; b < end; b += Block)
            {
                int n = Math.Min(Block, end - b);
                for (int o = 0; o < k; o++)
                    ok &= CombineBlock(arr, idx[o], wts[o], rowStart + b, n, new Span<float>((float*)outputs[o] + b, n));
            }
            if (!ok) Volatile.Write(ref bad, 1);
        });
        return bad == 0;
    }

    /// <summary>
    /// dst[j] = Σ_t w[t] · rows[idx[t]][b + j] for j &lt; n, accumulated in double registers over a full cache line
    /// (2 float vectors) per row, so each input line is consumed whole and written once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool CombineBlock(float[][] rows, int[] idx, double[] w, int b, int n, Span<float> dst)
    {
        int wf = Vector<float>.Count, j = 0, cnt = idx.Length;
        bool ok = true;
        ref float dr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dst);
        if (Vector512.IsHardwareAccelerated)
        {
            // One 64-byte line (16 floats) of every contributing row per step, two AVX-512 double accumulators.
            var okv = Vector512<int>.AllBitsSet;
            for (; j + 16 <= n; j += 16)
            {
                Vector512<double> a0 = default, a1 = default;
                nuint off = (nuint)(b + j);
                for (int t = 0; t < cnt; t++)
                {
                    ref float r = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(rows[idx[t]]);
                    var wv = Vector512.Create(w[t]);
                    var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref r, off));
                    a0 = Vector512.FusedMultiplyAdd(lo, wv, a0);
                    a1 = Vector512.FusedMultiplyAdd(hi, wv, a1);
                }
                var f = Vector512.Narrow(a0, a1);
                okv &= Vector512.Equals(f - f, Vector512<float>.Zero).AsInt32();
                f.StoreUnsafe(ref dr, (nuint)j);
            }
            ok = okv == Vector512<int>.AllBitsSet;
        }
        if (Vector.IsHardwareAccelerated)
        {
            var okv = Vector<int>.AllBitsSet;
            for (; j + 2 * wf <= n; j += 2 * wf)
            {
                Vector<double> a0 = default, a1 = default, a2 = default, a3 = default;
                nuint off = (nuint)(b + j);
                for (int t = 0; t < cnt; t++)
                {
                    ref float r = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(rows[idx[t]]);
                    var wv = new Vector<double>(w[t]);
                    Vector.Widen(Vector.LoadUnsafe(ref r, off), out Vector<double> l0, out Vector<double> h0);
                    Vector.Widen(Vector.LoadUnsafe(ref r, off + (nuint)wf), out Vector<double> l1, out Vector<double> h1);
                    a0 = Vector.FusedMultiplyAdd(l0, wv, a0);
                    a1 = Vector.FusedMultiplyAdd(h0, wv, a1);
                    a2 = Vector.FusedMultiplyAdd(l1, wv, a2);
                    a3 = Vector.FusedMultiplyAdd(h1, wv, a3);
                }
                var f0 = Vector.Narrow(a0, a1);
                var f1 = Vector.Narrow(a2, a3);
                okv &= Vector.Equals(f0 - f0, Vector<float>.Zero) & Vector.Equals(f1 - f1, Vector<float>.Zero);
                Vector.StoreUnsafe(f0, ref dr, (nuint)j);
                Vector.StoreUnsafe(f1, ref dr, (nuint)(j + wf));
            }
            ok &= Vector.EqualsAll(okv, Vector<int>.AllBitsSet);
        }
        for (; j < n; j++)
        {
            double s = 0;
            for (int t = 0; t < cnt; t++) s += w[t] * rows[idx[t]][b + j];
            float v = (float)s;
            ok &= float.IsFinite(v);
            dst[j] = v;
        }
        return ok;
    }

    /// <summary>
    /// dst[r][c] = (float)(scales[r] · rows[which[r]][c]) for every listed row, parallel over coordinate chunks (the
    /// clipping pre-aggregators' scaled copies), reading the rows from coordinate <paramref name="start"/> on.
    /// <paramref name="dst"/>[r] has at least d entries.
    /// </summary>
    internal static void ScaleRows(IReadOnlyList<float[]> rows, int[] which, double[] scales, float[][] dst, int count, int d, int start = 0)
    {
        if (count == 0) return;
        int rowStart = start;
        int chunks = ParallelChunks.Count(d, (long)count * d, Block);
        ParallelChunks.Run(chunks, chunk =>
        {
            var (cs, len) = ParallelChunks.Range(d, chunks, chunk, Block);
            for (int r = 0; r < count; r++)
                System.Numerics.Tensors.TensorPrimitives.Multiply(rows[which[r]].AsSpan(rowStart + cs, len), (float)scales[r], dst[r].AsSpan(cs, len));
        });
    }

    /// <summary>acc += w · widen(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
